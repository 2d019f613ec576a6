// The cell's CSPRNG: ChaCha20 keyed from whatever seed the platform has (the device tree's
// /chosen/rng-seed, a hardware RNG, the counter as a last resort), with a fresh key after every
// request so past output cannot be recomputed from a later state (fast key erasure).

public enum Entropy {
  nonisolated(unsafe) static var key: (UInt64, UInt64, UInt64, UInt64) = (0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1)
  nonisolated(unsafe) static var counter: UInt64 = 0

  /// Mixes `bytes` into the key. Safe to call any number of times, with any length; no bytes
  /// change nothing (a HAL that mixed the tree's seed in at discovery passes none at boot).
  public static func seed(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count > 0 else { return }
    var i = 0
    while i < bytes.count {
      var word: UInt64 = 0
      var j = 0
      while j < 8 && i + j < bytes.count {
        word |= UInt64(bytes[i + j]) << (8 * UInt64(j))
        j += 1
      }
      switch (i / 8) % 4 {
      case 0: key.0 ^= word
      case 1: key.1 ^= word
      case 2: key.2 ^= word
      default: key.3 ^= word
      }
      i += 8
      if (i / 8) % 4 == 0 { rekey() }
    }
    rekey()
  }

  public static func seed(word: UInt64) {
    var w = word
    withUnsafeBytes(of: &w) { seed($0) }
  }

  /// Fills `count` bytes at `bytes` and then replaces the key.
  public static func fill(_ bytes: UnsafeMutablePointer<UInt8>, _ count: Int) {
    var done = 0
    while done < count {
      var block = chachaBlock()
      withUnsafeBytes(of: &block) { raw in
        let n = min(64, count - done)
        for k in 0..<n { bytes[done + k] = raw[k] }
        done += n
      }
    }
    rekey()
  }

  static func rekey() {
    let b = chachaBlock()
    key = (UInt64(b.0) | UInt64(b.1) << 32, UInt64(b.2) | UInt64(b.3) << 32,
           UInt64(b.4) | UInt64(b.5) << 32, UInt64(b.6) | UInt64(b.7) << 32)
  }

  typealias Block = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                     UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

  /// One ChaCha20 block (RFC 8439 core) of the current key and counter; advances the counter.
  static func chachaBlock() -> Block {
    var s: Block = (0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
                    UInt32(truncatingIfNeeded: key.0), UInt32(truncatingIfNeeded: key.0 >> 32),
                    UInt32(truncatingIfNeeded: key.1), UInt32(truncatingIfNeeded: key.1 >> 32),
                    UInt32(truncatingIfNeeded: key.2), UInt32(truncatingIfNeeded: key.2 >> 32),
                    UInt32(truncatingIfNeeded: key.3), UInt32(truncatingIfNeeded: key.3 >> 32),
                    UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), 0, 0)
    counter &+= 1
    let input = s
    withUnsafeMutableBytes(of: &s) { raw in
      let x = raw.bindMemory(to: UInt32.self)
      @inline(__always) func qr(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 16 | x[d] >> 16
        x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 12 | x[b] >> 20
        x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 8 | x[d] >> 24
        x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 7 | x[b] >> 25
      }
      for _ in 0..<10 {
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
      }
      withUnsafeBytes(of: input) { inRaw in
        let y = inRaw.bindMemory(to: UInt32.self)
        for i in 0..<16 { x[i] &+= y[i] }
      }
    }
    return s
  }
}
