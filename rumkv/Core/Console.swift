// Rumkv's own console lines, without a heap: static strings, raw bytes, and integers formatted
// digit by digit. The architecture code installs the sink (its UART); host tests install a buffer.

public enum Console {
  /// Where bytes go. Nil until the architecture code sets it; output before that is dropped.
  nonisolated(unsafe) public static var sink: (@convention(c) (UInt8) -> Void)? = nil

  /// The line being printed since the last `begin()`, cut at `lineCapacity` bytes: the detail of a
  /// management record (docs/decisions/A5-status-channel.md) is the console line that explains it.
  nonisolated(unsafe) static var line = InlineArray<160, UInt8>(repeating: 0)
  nonisolated(unsafe) static var lineCount = 0
  public static let lineCapacity = 160

  public static func put(_ byte: UInt8) {
    if lineCount < lineCapacity {
      line[lineCount] = byte
      lineCount += 1
    }
    sink?(byte)
  }

  /// The last line Rumkv began (without "rumkv: " and without its "\n").
  public static func withLastLine<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
    var copy = line
    let prefix = 7  // "rumkv: "
    var end = lineCount
    if end > 0 && copy[end - 1] == 10 { end -= 1 }
    let start = min(prefix, end)
    return withUnsafeBytes(of: &copy) { body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
  }

  public static func put(_ s: StaticString) {
    s.withUTF8Buffer { utf8 in
      for b in utf8 { put(b) }
    }
  }

  /// Bytes from outside (names from the device tree, a cell's console buffer): printable ASCII,
  /// newline and tab pass, anything else prints as '?', so a hostile name cannot drive the terminal.
  public static func put(bytes: UnsafeRawBufferPointer) {
    for b in bytes {
      put((b >= 0x20 && b < 0x7F) || b == 10 || b == 9 ? b : UInt8(ascii: "?"))
    }
  }

  /// "0x" and lower-case hex digits without leading zeros.
  public static func hex(_ v: UInt64) {
    put("0x")
    var shift: UInt64 = 60
    var started = false
    while true {
      let d = UInt8(truncatingIfNeeded: (v >> shift) & 0xF)
      if d != 0 || started || shift == 0 {
        started = true
        put(d < 10 ? 0x30 + d : 0x57 + d)
      }
      if shift == 0 { return }
      shift -= 4
    }
  }

  public static func dec(_ v: UInt64) {
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes hold the 20 digits of UInt64.max
    var n = 0
    var x = v
    withUnsafeMutableBytes(of: &digits) { buf in
      repeat {
        buf[n] = 0x30 + UInt8(truncatingIfNeeded: x % 10)
        x /= 10
        n += 1
      } while x != 0
      while n > 0 {
        n -= 1
        put(buf[n])
      }
    }
  }

  public static func dec(signed v: Int64) {
    if v < 0 {
      put("-")
      dec(UInt64(0) &- UInt64(bitPattern: v))
    } else {
      dec(UInt64(v))
    }
  }

  /// "rumkv: " — the prefix of every line Rumkv prints.
  public static func begin() {
    lineCount = 0
    put("rumkv: ")
  }

  public static func end() { put("\n") }
}
