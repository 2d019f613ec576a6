// Kernel console output without String: static text and numbers go straight to the platform.
// String interpolation would pull kilobytes of Unicode machinery into every image for a few lines.

import RumpkPlatform

public enum Console {
  @inline(never)
  public static func put(_ s: StaticString) {
    rumpk_platform_console_write(s.utf8Start, s.utf8CodeUnitCount)
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
    var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 decimal digits
    withUnsafeMutableBytes(of: &buffer) { b in
      var i = b.count
      var x = v
      repeat {
        i -= 1
        let d = UInt8(truncatingIfNeeded: x % radix)
        b[i] = d < 10 ? 48 &+ d : 55 &+ d
        x /= radix
      } while x != 0
      rumpk_platform_console_write(b.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, b.count - i)
    }
  }
}
