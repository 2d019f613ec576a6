// Small pieces every bare-metal HAL needs the same way: a serial console that expects CRLF, a
// polled receive loop, and counter ticks turned into nanoseconds without 128-bit division.

public enum Serial {
  /// Busy answers after which a UART's transmitter counts as dead: the HAL's UART then drops
  /// output instead of hanging the cell (a device tree that names something that is not a working
  /// UART; docs/decisions/K10-board-values.md). The wait stays in each UART's own put, where it
  /// costs a compare per byte.
  public static let maxPolls = 1 << 20

  /// Sends `count` bytes through `put`, each "\n" as "\r\n".
  @inline(__always)
  public static func write(_ bytes: UnsafePointer<UInt8>?, _ count: Int, _ put: (UInt8) -> Void) {
    guard let bytes else { return }
    for i in 0..<count {
      if bytes[i] == 10 { put(13) }
      put(bytes[i])
    }
  }

  /// Moves bytes from `get` (nil when nothing is waiting) into `bytes`; returns how many.
  @inline(__always)
  public static func read(_ bytes: UnsafeMutablePointer<UInt8>?, _ capacity: Int, _ get: () -> UInt8?) -> Int {
    guard let bytes else { return 0 }
    var n = 0
    while n < capacity, let b = get() {
      bytes[n] = b
      n += 1
    }
    return n
  }
}

public enum Ticks {
  /// `ticks` of a counter running at `frequency` Hz, in nanoseconds. Exact while
  /// (ticks % frequency) * 1e9 fits in 64 bits, i.e. for any frequency below 18 GHz.
  @inline(__always)
  public static func nanoseconds(_ ticks: UInt64, frequency: UInt64) -> UInt64 {
    let f = max(frequency, 1)
    return (ticks / f) &* 1_000_000_000 &+ (ticks % f) &* 1_000_000_000 / f
  }
}
