// Decoding of one structure-block token. Every walk over the tree goes through decodeToken, so the
// bounds checks live in one place.

enum FDTTag {
  static let beginNode: UInt32 = 1
  static let endNode: UInt32 = 2
  static let property: UInt32 = 3
  static let nop: UInt32 = 4
  static let end: UInt32 = 9
}

enum FDTToken {
  /// `name`: the node name without NUL, as a range of the structure block.
  case beginNode(name: Range<Int>)
  case endNode
  /// `nameOffset`: where the name starts in the strings block (inside it; its NUL is not searched
  /// here: stringRange(at:) finds it, propertyNameEquals compares without it); `value`: a range of
  /// the structure block.
  case property(nameOffset: Int, value: Range<Int>)
  case nop
  case end
}

extension FDT {
  /// Decodes the token at `offset` (relative to the structure block). Guarantees on success: every
  /// returned range lies inside its block, a property's name offset lies inside the strings block,
  /// and next ≥ offset + 4, so a walk that follows `next` ends within structBlock.count / 4 steps
  /// whatever the blob holds. Property names are not scanned for their NUL here (scan(_:) checks
  /// them once per blob, stringRange(at:) on demand): walks that skip properties then cost a
  /// few loads per token instead of a byte loop over every name.
  /// Arithmetic: Int is 64 bits on every target and every offset and length here is below 2^32
  /// (they come from 32-bit fields or are bounded by the block), so sums cannot overflow and use &+.
  func decodeToken(at offset: Int) throws(FDTError) -> (token: FDTToken, next: Int) {
    try decodeTokenInline(at: offset)
  }

  /// decodeToken inlined into the loops that run over the whole tree at boot (scan, that is
  /// validation and walk, and property lookups): a call per token there was about a third of discovery.
  @inline(__always)
  func decodeTokenInline(at offset: Int) throws(FDTError) -> (token: FDTToken, next: Int) {
    let s = structBlock
    let count = s.count
    guard offset >= 0, offset & 3 == 0 else { throw .badToken }
    guard offset <= count &- 4 else { throw .truncated }
    let body = offset &+ 4
    switch loadBE32(s, offset) {
    case FDTTag.beginNode:
      guard let nul = indexOfNUL(s, from: body) else { throw .badString }
      return (.beginNode(name: body..<nul), (nul &+ 4) & ~3)  // past the NUL, 4-aligned
    case FDTTag.endNode:
      return (.endNode, body)
    case FDTTag.nop:
      return (.nop, body)
    case FDTTag.end:
      return (.end, body)
    case FDTTag.property:
      guard body <= count &- 8 else { throw .truncated }
      guard let length = Int(exactly: loadBE32(s, body)),
        let nameOffset = Int(exactly: loadBE32(s, body &+ 4))
      else { throw .badOffset }
      let value = body &+ 8
      guard length <= count &- value else { throw .truncated }
      guard nameOffset < stringsBlock.count else { throw .badString }
      return (.property(nameOffset: nameOffset, value: value..<(value &+ length)), (value &+ length &+ 3) & ~3)
    default:
      throw .badToken
    }
  }

  /// decodeToken, with nil for any error: for accessors, which treat a bad token as the end.
  @inline(__always)
  func token(at offset: Int) -> (token: FDTToken, next: Int)? {
    try? decodeToken(at: offset)
  }

  /// The NUL-terminated string at `offset` of the strings block, without its NUL. The search for
  /// the NUL stops after maxPropertyNameLength bytes: many properties may share one offset, so an
  /// unbounded search would make a hostile blob cost time quadratic in its size.
  func stringRange(at offset: Int) throws(FDTError) -> Range<Int> {
    guard offset >= 0, offset < stringsBlock.count,
      let nul = indexOfNUL(stringsBlock, from: offset, limit: FDT.maxPropertyNameLength + 1)
    else {
      throw .badString
    }
    return offset..<nul
  }

  /// True when the property name at `offset` of the strings block is exactly `name`: its bytes, then
  /// a NUL. Reads at most name.count + 1 bytes, all bounds-checked; a name longer than
  /// maxPropertyNameLength never matches (stringRange(at:) would reject it).
  func propertyNameEquals(_ offset: Int, _ name: UnsafeRawBufferPointer) -> Bool {
    let s = stringsBlock
    let n = name.count
    guard n <= FDT.maxPropertyNameLength, fits(offset, n + 1, in: s.count) else { return false }
    var i = 0
    while i < n {
      if s[offset + i] != name[i] { return false }
      i += 1
    }
    return s[offset + n] == 0
  }
}
