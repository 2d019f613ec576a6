// Small pieces every bare-metal HAL needs the same way: a serial console that expects CRLF, a
// polled receive loop, and counter ticks turned into nanoseconds without 128-bit division.

public enum Serial {
  /// Busy answers after which a transmitter counts as dead.
  public static let maxPolls = 1 << 20
  /// Set once a transmitter stayed busy for maxPolls polls.
  nonisolated(unsafe) public private(set) static var dead = false

  /// Polls `busy` until it answers false and returns true. After maxPolls busy answers the
  /// transmitter is taken as dead (the device tree named something that is not a working UART):
  /// false now and at every later call, so output is dropped instead of hanging the cell.
  @inline(__always)
  public static func ready(_ busy: () -> Bool) -> Bool {
    if dead { return false }
    var polls = 0
    while busy() {
      polls &+= 1
      if polls == maxPolls {
        dead = true
        return false
      }
    }
    return true
  }

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
