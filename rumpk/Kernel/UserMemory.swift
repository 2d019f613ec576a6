// Validation of pointer/length pairs that arrive from NPL code. The kernel never dereferences a
// caller's pointer before it passes here. A range is acceptable when it does not wrap, is not null,
// never touches the Bridgehead, and lies inside the calling fiber's partition or a cell-wide shared
// region (the image; its data and the NPL heap for writes).

public enum UserMemory {
  nonisolated(unsafe) static var bridgehead = Region.empty
  nonisolated(unsafe) static var sharedReadOnly = Region.empty
  nonisolated(unsafe) static var sharedReadWrite = Region.empty
  nonisolated(unsafe) public private(set) static var executable = Region.empty

  static func configure(bridgehead b: Region, sharedReadOnly ro: Region, sharedReadWrite rw: Region, executable x: Region) {
    bridgehead = b
    sharedReadOnly = ro
    sharedReadWrite = rw
    executable = x
  }

  /// Before the kernel core is initialised (early boot banners), the shared regions alone apply.
  public static func setShared(readOnly: Region, readWrite: Region) {
    sharedReadOnly = readOnly
    sharedReadWrite = readWrite
  }

  /// True when the caller may access [address, address+length) (for writing when `write`).
  public static func permits(_ address: UInt64, _ length: UInt64, write: Bool) -> Bool {
    if length == 0 { return true }
    let (_, wraps) = address.addingReportingOverflow(length)
    guard !wraps, address != 0, !bridgehead.overlaps(address, length) else { return false }
    if sharedReadWrite.contains(address, length) { return true }
    if !write && sharedReadOnly.contains(address, length) { return true }
    let me = Scheduler.current
    return me >= 0 && Fibers.table[Int(me)].partition.permits(address, length, write: write)
  }

  public static func readable(_ address: UInt64, _ length: UInt64) -> UnsafeRawBufferPointer? {
    guard length <= UInt64(Int.max), permits(address, length, write: false) else { return nil }
    return UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: Int(length))
  }

  public static func writable(_ address: UInt64, _ length: UInt64) -> UnsafeMutableRawBufferPointer? {
    guard length <= UInt64(Int.max), permits(address, length, write: true) else { return nil }
    return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(address)), count: Int(length))
  }
}
