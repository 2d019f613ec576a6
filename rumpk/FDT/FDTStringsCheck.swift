// Validation of property-name offsets in O(1) each, instead of a search for each name's NUL (a tree
// names the same few dozen strings hundreds of times).

/// Says whether stringRange(at:) accepts an offset of the strings block without running it.
/// Assumes nothing of the block. Guarantees: valid(o) only if the block has a NUL within
/// maxPropertyNameLength bytes at or after o, exactly what stringRange(at:) demands; and, when
/// every run of non-NUL bytes before the block's last NUL is at most maxPropertyNameLength long
/// (always, in a blob dtc or QEMU wrote), valid(o) for every o up to that last NUL. Otherwise valid
/// says false and the caller asks stringRange(at:).
struct StringsCheck {
  let lastNUL: Int  // -1: no usable shortcut

  /// Finds the last NUL, then checks the runs window by window: from p (every offset below it known
  /// good), the last NUL q in [p, p + maxPropertyNameLength] makes every offset in [p, q] good, and
  /// the next window starts at q + 1. The backward search for q reads only the bytes after the last
  /// NUL of the window, so a block of short names costs a few bytes per window of 256, not a byte
  /// loop over the block; bytes read and found non-NUL are never read again unless the check fails
  /// (the next window's q would lie among them), so a hostile block costs at most about 2 reads per
  /// byte.
  init(_ strings: UnsafeRawBufferPointer) {
    var last = strings.count - 1
    while last >= 0 && strings[last] != 0 { last -= 1 }
    var p = 0
    while p <= last {
      let windowEnd = p <= last - FDT.maxPropertyNameLength ? p + FDT.maxPropertyNameLength : last
      var q = windowEnd
      while q >= p && strings[q] != 0 { q -= 1 }
      if q < p {
        lastNUL = -1
        return
      }
      p = q + 1
    }
    lastNUL = last
  }

  @inline(__always)
  func valid(_ offset: Int) -> Bool { offset >= 0 && offset <= lastNUL }
}
