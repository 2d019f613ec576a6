// Bounds-checked big-endian loads and byte comparisons over raw buffers. Nothing here traps on a
// bad offset: checked helpers return nil, and the unchecked loads are only called after a fits().

/// True when [offset, offset + length) lies inside [0, count). Cannot overflow: it only subtracts
/// non-negative values.
@inline(__always)
func fits(_ offset: Int, _ length: Int, in count: Int) -> Bool {
  offset >= 0 && length >= 0 && offset <= count && length <= count - offset
}

/// Rounds up to a multiple of 4; nil if that overflows.
@inline(__always)
func align4(_ x: Int) -> Int? {
  let (sum, overflow) = x.addingReportingOverflow(3)
  return overflow ? nil : sum & ~3
}

/// Assumes fits(offset, 4, in: b.count). One aligned 32-bit load where the address allows it (every
/// structure-block token and cell of a blob at an aligned address), else four byte loads: no
/// unaligned access, which faults on real hardware with the MMU off.
@inline(__always)
func loadBE32(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
  let p = b.baseAddress.unsafelyUnwrapped + offset
  if UInt(bitPattern: p) & 3 == 0 { return UInt32(bigEndian: p.load(as: UInt32.self)) }
  return UInt32(b[offset]) << 24 | UInt32(b[offset + 1]) << 16 | UInt32(b[offset + 2]) << 8 | UInt32(b[offset + 3])
}

func readBE32(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt32? {
  fits(offset, 4, in: b.count) ? loadBE32(b, offset) : nil
}

func readBE64(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt64? {
  guard fits(offset, 8, in: b.count) else { return nil }
  return UInt64(loadBE32(b, offset)) << 32 | UInt64(loadBE32(b, offset + 4))
}

/// Reads `cells` (0...2) big-endian 32-bit cells at `offset`; nil if out of range.
func readCells(_ b: UnsafeRawBufferPointer, _ offset: Int, cells: Int) -> UInt64? {
  switch cells {
  case 0: return 0
  case 1: return readBE32(b, offset).map { UInt64($0) }
  case 2: return readBE64(b, offset)
  default: return nil
  }
}

/// Index of the first NUL at or after `from`, below b.count and within `limit` bytes of `from`;
/// nil when there is none. Four bytes per step where it can: aligned 32-bit loads (safe with the
/// MMU off too) that lie wholly inside [from, end). In m = (w - 0x01..) & ~w & 0x80.. the lowest
/// set bit marks the first zero byte exactly (a borrow only reaches bytes above a zero), so with
/// the bytes in memory order (little-endian value) that byte is trailingZeroBitCount / 8.
func indexOfNUL(_ b: UnsafeRawBufferPointer, from: Int, limit: Int = Int.max) -> Int? {
  guard from >= 0, from <= b.count, limit >= 0, let base = b.baseAddress else { return nil }
  let end = limit < b.count - from ? from + limit : b.count
  var i = from
  while i < end && (UInt(bitPattern: base) &+ UInt(i)) & 3 != 0 {
    if b[i] == 0 { return i }
    i += 1
  }
  while end - i >= 4 {
    let w = UInt32(littleEndian: (base + i).load(as: UInt32.self))
    let m = (w &- 0x0101_0101) & ~w & 0x8080_8080
    if m != 0 { return i + m.trailingZeroBitCount >> 3 }
    i += 4
  }
  while i < end {
    if b[i] == 0 { return i }
    i += 1
  }
  return nil
}

/// Index of the first `byte` in b, or b.count.
func indexOf(_ byte: UInt8, in b: UnsafeRawBufferPointer) -> Int {
  var i = 0
  while i < b.count && b[i] != byte { i += 1 }
  return i
}

/// Assumes `range` lies inside b.
@inline(__always)
func slice(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
  UnsafeRawBufferPointer(rebasing: b[range])
}

func bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
  guard a.count == b.count else { return false }
  var i = 0
  while i < a.count {
    if a[i] != b[i] { return false }
    i += 1
  }
  return true
}

/// Passes the UTF-8 bytes of `s` to `body` (both StaticString representations, including a single
/// Unicode scalar such as "/").
@inline(__always)
func withBytes<R>(_ s: StaticString, _ body: (UnsafeRawBufferPointer) -> R) -> R {
  s.withUTF8Buffer { body(UnsafeRawBufferPointer($0)) }
}

/// withBytes for a body with typed throws: the error is carried out of withUTF8Buffer by hand,
/// because that function does not rethrow.
func withBytesThrowing<R>(
  _ s: StaticString, _ body: (UnsafeRawBufferPointer) throws(FDTError) -> R
) throws(FDTError) -> R {
  var failure: FDTError? = nil
  let result: R? = s.withUTF8Buffer { utf8 in
    do throws(FDTError) {
      return try body(UnsafeRawBufferPointer(utf8))
    } catch {
      failure = error
      return nil
    }
  }
  if let failure { throw failure }
  guard let result else { throw .badString }
  return result
}

func bytesEqual(_ a: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
  withBytes(s) { bytesEqual(a, $0) }
}
