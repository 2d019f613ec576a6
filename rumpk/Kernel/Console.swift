// Kernel console output without String: static text and numbers (RumpkABI.Digits) go straight to
// the platform.

import RumpkABI
import RumpkPlatform

public enum Console {
  @inline(never)
  public static func put(_ s: StaticString) {
    rumpk_platform_console_write(s.utf8Start, s.utf8CodeUnitCount)
  }

  /// Bytes from outside (a node path from the device tree): printable ASCII passes, anything else
  /// prints as '?', so a hostile tree cannot drive the terminal.
  @inline(never)
  public static func put(bytes: UnsafeRawBufferPointer) {
    for b in bytes {
      var c = b >= 0x20 && b < 0x7F ? b : UInt8(ascii: "?")
      rumpk_platform_console_write(&c, 1)
    }
  }

  /// Uppercase hex digits, no prefix, no padding.
  @inline(never) public static func hex(_ v: UInt64) { number(v, radix: 16) }
  @inline(never) public static func dec(_ v: UInt64) { number(v, radix: 10) }

  /// Writes a String (hosted code and tests; kernel code uses put/hex/dec).
  public static func write(_ s: String) {
    var copy = s
    copy.withUTF8 { rumpk_platform_console_write($0.baseAddress, $0.count) }
  }

  static func number(_ v: UInt64, radix: UInt64) {
    Digits.with(v, radix: radix, uppercase: true) { d in
      rumpk_platform_console_write(d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count)
    }
  }
}
