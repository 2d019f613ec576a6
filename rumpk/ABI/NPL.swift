// The NPL side of the ABI: how application code calls the kernel. Everything goes through the
// SysTable entry points at the fixed address, so the same guest code runs at EL0/U-mode on metal,
// at EL1 in the foundation image, and in a Linux process in hosted mode.

public enum NPL {
  @inline(__always)
  static func call(_ n: Syscall, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0) -> Int64 {
    let address = SysTable.fixed.entry(n)
    guard address != 0, let fn = unsafeBitCast(UInt(address), to: SyscallEntry?.self) else {
      return Errno.einval.rawValue
    }
    return fn(a, b, c, d)
  }

  /// Writes bytes to the console (fd 1 or 2). Returns bytes written or a negative errno.
  @discardableResult
  public static func write(_ bytes: UnsafeRawBufferPointer, fd: UInt64 = 1) -> Int64 {
    call(.write, fd, UInt64(UInt(bitPattern: bytes.baseAddress)), UInt64(bytes.count))
  }

  /// Writes a string to the console.
  @discardableResult
  public static func write(_ s: StaticString, fd: UInt64 = 1) -> Int64 {
    write(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount), fd: fd)
  }

  /// Writes a string to the console.
  @discardableResult
  public static func print(_ s: String, fd: UInt64 = 1) -> Int64 {
    var copy = s
    return copy.withUTF8 { write(UnsafeRawBufferPointer($0), fd: fd) }
  }

  /// Reads console input into `buffer`; returns the count read or a negative errno.
  public static func read(into buffer: UnsafeMutableRawBufferPointer) -> Int64 {
    call(.read, 0, UInt64(UInt(bitPattern: buffer.baseAddress)), UInt64(buffer.count))
  }

  public static func pledge(_ p: Promises) -> Int64 { call(.pledge, p.rawValue) }
  public static func time() -> UInt64 { UInt64(bitPattern: call(.time)) }
  @discardableResult
  public static func yield(until deadline: UInt64 = 0) -> Int64 { call(.yield, deadline) }
  public static func random(into buffer: UnsafeMutableRawBufferPointer) -> Int64 {
    call(.random, UInt64(UInt(bitPattern: buffer.baseAddress)), UInt64(buffer.count))
  }
  public static func spawn(entry: UInt64, arg: UInt64, tier: Tier, promises: Promises) -> Int64 {
    call(.spawn, entry, arg, tier.rawValue, promises.rawValue)
  }
  public static func kill(fiber: UInt64) -> Int64 { call(.kill, fiber) }
  public static func map(hint: UInt64, length: UInt64, flags: UInt64) -> Int64 { call(.map, hint, length, flags) }
  public static func unmap(address: UInt64, length: UInt64) -> Int64 { call(.unmap, address, length) }

  /// Ends the cell with `code`. Does not return when the kernel honours it.
  @discardableResult
  public static func halt(_ code: UInt64) -> Int64 { call(.halt, code) }
}
