// Validation of pointer/length pairs that arrive from NPL code. The kernel never dereferences a
// caller's pointer before it passes here. A range is acceptable when it does not wrap, is not null,
// never touches the Bridgehead, and lies inside the calling fiber's partition or a cell-wide shared
// region (the image; its data and the NPL heap for writes).

public enum UserMemory {
  nonisolated(unsafe) static var bridgehead = Region.empty
  nonisolated(unsafe) static var sharedReadOnly = Region.empty
  nonisolated(unsafe) static var sharedReadWrite = Region.empty
  /// Where NPL code lies, in the addresses NPL code uses (window A when windows are on).
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
  /// `address` is a kernel address (UserWindows.kernelAddress of what the NPL passed).
  public static func permits(_ address: UInt64, _ length: UInt64, write: Bool) -> Bool {
    if length == 0 { return true }
    let (_, wraps) = address.addingReportingOverflow(length)
    guard !wraps, address != 0, !bridgehead.overlaps(address, length) else { return false }
    if sharedReadWrite.contains(address, length) { return true }
    if !write && sharedReadOnly.contains(address, length) { return true }
    let me = Scheduler.current
    return me >= 0 && Fibers.table[Int(me)].partition.permits(address, length, write: write)
  }

  /// The kernel's view of an NPL range, translated out of the NPL windows and checked; nil when the
  /// range is outside the windows, wraps, or is not the caller's to read.
  public static func readable(_ address: UInt64, _ length: UInt64) -> UnsafeRawBufferPointer? {
    guard let k = kernelRange(address, length), permits(k, length, write: false) else { return nil }
    return UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(k)), count: Int(length))
  }

  public static func writable(_ address: UInt64, _ length: UInt64) -> UnsafeMutableRawBufferPointer? {
    guard let k = kernelRange(address, length), permits(k, length, write: true) else { return nil }
    return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(k)), count: Int(length))
  }

  /// A zero-length range is accepted as is (nothing is dereferenced).
  @inline(__always)
  static func kernelRange(_ address: UInt64, _ length: UInt64) -> UInt64? {
    guard length <= UInt64(Int.max) else { return nil }
    if length == 0 { return address }
    let (_, wraps) = address.addingReportingOverflow(length)
    guard !wraps else { return nil }
    return UserWindows.kernelAddress(address, length)
  }
}
