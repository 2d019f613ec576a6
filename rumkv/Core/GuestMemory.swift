// A cell's window as Rumkv touches it: IPA ranges checked against the window and turned into
// pointers Rumkv can use. On metal IPA = PA and Rumkv runs with its MMU off, so `host` is the window
// base itself; host tests back the window with a buffer.

public struct GuestMemory {
  public let window: PhysicalRange
  public let host: UnsafeMutableRawPointer

  public init(window: PhysicalRange, host: UnsafeMutableRawPointer) {
    self.window = window
    self.host = host
  }

  /// The window on metal: IPA = PA, Rumkv's MMU off.
  public static func identity(_ window: PhysicalRange) -> GuestMemory {
    GuestMemory(window: window, host: UnsafeMutableRawPointer(bitPattern: UInt(window.base))!)
  }

  /// The bytes at IPA [address, address + length), or nil unless they lie entirely in the window.
  /// A hostile address or length (wrapping, huge) yields nil, never a pointer outside the window.
  public func bytes(at address: UInt64, count length: UInt64) -> UnsafeMutableRawBufferPointer? {
    guard window.contains(address: address, length: length), length <= UInt64(Int.max) else { return nil }
    return UnsafeMutableRawBufferPointer(start: host + Int(address - window.base), count: Int(length))
  }
}
