// Integers as text without String, for kernel and NPL output alike: String interpolation would pull
// kilobytes of Unicode machinery into every image for a few numbers.

public enum Digits {
  /// Hands `body` the digits of `v` in `radix` (2...16), most significant first, no prefix.
  @inline(__always)
  public static func with(_ v: UInt64, radix: UInt64 = 10, uppercase: Bool = false,
                          _ body: (UnsafeRawBufferPointer) -> Void) {
    let base = min(max(radix, 2), 16)
    var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &buffer) { b in
      var i = b.count
      var x = v
      repeat {
        i -= 1
        let d = UInt8(truncatingIfNeeded: x % base)
        b[i] = d < 10 ? 48 &+ d : (uppercase ? 55 : 87) &+ d
        x /= base
      } while x != 0
      body(UnsafeRawBufferPointer(rebasing: b[i...]))
    }
  }
}
