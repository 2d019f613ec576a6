// Validation of pointer/length pairs that arrive from NPL code. The kernel never dereferences a
// caller's pointer before it passes here. Today the caller's partition is the whole cell RAM window
// set at boot; with per-fiber partitions it narrows to the calling fiber's.

public enum UserMemory {
  nonisolated(unsafe) public static var windowStart: UInt64 = 0
  nonisolated(unsafe) public static var windowEnd: UInt64 = UInt64.max

  /// Sets the range [start, end) that caller buffers must lie in.
  public static func setWindow(start: UInt64, end: UInt64) {
    windowStart = start
    windowEnd = end
  }

  /// True when [address, address+length) lies inside the window without wrapping. A zero length
  /// is valid anywhere.
  public static func contains(_ address: UInt64, _ length: UInt64) -> Bool {
    if length == 0 { return true }
    let (end, overflow) = address.addingReportingOverflow(length)
    return !overflow && address >= windowStart && end <= windowEnd && address != 0
  }

  public static func readable(_ address: UInt64, _ length: UInt64) -> UnsafeRawBufferPointer? {
    guard contains(address, length), length <= UInt64(Int.max) else { return nil }
    return UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: Int(length))
  }

  public static func writable(_ address: UInt64, _ length: UInt64) -> UnsafeMutableRawBufferPointer? {
    guard contains(address, length), length <= UInt64(Int.max) else { return nil }
    return UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(address)), count: Int(length))
  }
}
