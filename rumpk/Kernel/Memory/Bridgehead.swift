// The Bridgehead: the fixed kernel region (SysTable, fiber table, scheduler state, ring
// descriptors). Carved once at boot with a bump allocator and never freed; NPL pointers that touch it
// are always refused.

public enum Bridgehead {
  nonisolated(unsafe) public private(set) static var region = Region.empty
  nonisolated(unsafe) static var next: UInt64 = 0

  /// Takes [base, base+size) as the Bridgehead. Assumes the memory is RAM owned by the kernel.
  public static func initialize(_ r: Region) {
    region = r
    next = r.base
  }

  /// Zeroed memory for `count` values of T, or nil when the Bridgehead is exhausted.
  public static func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T>? {
    guard let p = reserve(type, count: count) else { return nil }
    UnsafeMutableRawPointer(p).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride * count)
    return p
  }

  /// Memory for `count` values of T, not initialised (whatever the RAM held), or nil when the
  /// Bridgehead is exhausted. For tables that initialise their slots as they first hand them out
  /// (the fiber table keeps a high-water mark), so boot writes only memory that is used: zeroing a
  /// 256-fiber table was 0.43 M instructions, a quarter of the boot.
  public static func reserve<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T>? {
    let align = UInt64(max(MemoryLayout<T>.alignment, 16))
    let bytes = UInt64(MemoryLayout<T>.stride) &* UInt64(count)
    let start = (next &+ align &- 1) & ~(align &- 1)
    guard count >= 0, start >= next, start &+ bytes <= region.end, start &+ bytes >= start else { return nil }
    next = start &+ bytes
    return UnsafeMutableRawPointer(bitPattern: UInt(start))!.bindMemory(to: T.self, capacity: count)
  }

  public static var used: UInt64 { next &- region.base }
}
