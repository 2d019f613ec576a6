// A validated, read-only view over a flattened device tree blob. The blob is borrowed, never copied:
// the caller keeps the memory alive and unchanged while the FDT is used. Accessors re-check every
// offset anyway, so a blob modified after validation yields wrong answers, not crashes.

public struct FDT {
  /// The deepest nesting accepted, root = 1.
  public static let maxDepth = 64
  /// The longest property name accepted (the specification allows 31 characters).
  public static let maxPropertyNameLength = 255

  /// The blob, exactly totalsize bytes.
  public let bytes: UnsafeRawBufferPointer
  public let header: FDTHeader
  let structBlock: UnsafeRawBufferPointer
  let stringsBlock: UnsafeRawBufferPointer
  let reservationBlock: UnsafeRawBufferPointer
  var rootOffset = 0
  /// The first children of the root named "chosen" and "aliases" (or "chosen@…"), found by the
  /// validation walk so /chosen and alias lookups cost no walk of their own; -1: none.
  var chosenOffset = -1
  var aliasesOffset = -1

  public var totalSize: Int { bytes.count }

  /// Validates the header and walks the whole structure block once (see validateStructure).
  /// `blob` may be longer than totalsize; the extra bytes are ignored.
  public init(_ blob: UnsafeRawBufferPointer) throws(FDTError) {
    let h = try FDTHeader(validating: blob)
    header = h
    bytes = slice(blob, 0..<Int(h.totalSize))
    structBlock = slice(bytes, h.structRange)
    stringsBlock = slice(bytes, h.stringsRange)
    reservationBlock = slice(bytes, h.reservationRange)
    (rootOffset, chosenOffset, aliasesOffset) = try validateStructure()
  }

  /// Validates the blob at `address`, whose totalsize (read from its header) must not exceed
  /// `maxSize`. Reads nothing beyond min(maxSize, totalsize) bytes.
  public static func at(_ address: UnsafeRawPointer, maxSize: Int) throws(FDTError) -> FDT {
    guard maxSize >= FDTHeader.size else { throw .truncated }
    let head = UnsafeRawBufferPointer(start: address, count: FDTHeader.size)
    guard loadBE32(head, 0) == FDTHeader.magic else { throw .badMagic }
    guard let total = Int(exactly: loadBE32(head, 4)), total <= maxSize else { throw .truncated }
    return try FDT(UnsafeRawBufferPointer(start: address, count: total))
  }

  /// Walks the structure block from its start. Guarantees on success: the first token other than
  /// NOP begins the root; BEGIN_NODE and END_NODE balance with depth ≤ maxDepth; properties occur
  /// only inside a node and before its first child; every name and string offset is valid; an END
  /// token follows the root. Returns the root's offset and those of the first root children that
  /// node(path:) would find for "/chosen" and "/aliases" (-1: none). Terminates: each token
  /// advances ≥ 4 bytes.
  func validateStructure() throws(FDTError) -> (root: Int, chosen: Int, aliases: Int) {
    var offset = 0
    var depth = 0
    var root = -1
    var chosen = -1, aliases = -1
    let names = StringsCheck(stringsBlock)
    var hasChild: UInt64 = 0  // bit d-1: the open node at depth d has had a child
    while true {
      let (token, next) = try decodeTokenInline(at: offset)
      switch token {
      case .nop:
        break
      case .beginNode(let name):
        if depth == 0 {
          guard root < 0 else { throw .badStructure }
          root = offset
        } else {
          hasChild |= 1 << (depth - 1)
          if depth == 1 {
            let n = slice(structBlock, name)
            if chosen < 0 && FDT.nameMatches(n, component: "chosen") { chosen = offset }
            if aliases < 0 && FDT.nameMatches(n, component: "aliases") { aliases = offset }
          }
        }
        guard depth < FDT.maxDepth else { throw .tooDeep }
        depth += 1
        hasChild &= ~(1 << (depth - 1))
      case .endNode:
        guard depth > 0 else { throw .badStructure }
        depth -= 1
      case .property(let nameOffset, _):
        guard depth > 0, hasChild & (1 << (depth - 1)) == 0 else { throw .badStructure }
        if !names.valid(nameOffset) { _ = try stringRange(at: nameOffset) }
      case .end:
        guard depth == 0, root >= 0 else { throw .badStructure }
        return (root, chosen, aliases)
      }
      offset = next
    }
  }

  /// Number of entries in the memory reservation block.
  public var reservationCount: Int { reservationBlock.count / 16 }

  /// Entry `index` of the memory reservation block.
  public func reservation(_ index: Int) -> (address: UInt64, size: UInt64)? {
    guard index >= 0, index < reservationCount,
      let address = readBE64(reservationBlock, index * 16),
      let size = readBE64(reservationBlock, index * 16 + 8)
    else { return nil }
    return (address, size)
  }
}

/// Checks property-name offsets in O(1) instead of a search for each name's NUL (a tree names the
/// same few dozen strings hundreds of times). One pass over the strings block finds its last NUL and
/// the longest run of non-NUL bytes that ends in a NUL. When that run is at most
/// maxPropertyNameLength bytes, every offset at or before the last NUL has its NUL within
/// maxPropertyNameLength bytes: exactly what stringRange(at:) demands. Otherwise (or for an offset
/// past the last NUL) valid says false and the caller asks stringRange.
struct StringsCheck {
  let lastNUL: Int  // -1: no usable shortcut

  init(_ strings: UnsafeRawBufferPointer) {
    var last = -1
    var run = 0, longest = 0
    var i = 0
    while i < strings.count {
      if strings[i] == 0 {
        if run > longest { longest = run }
        last = i
        run = 0
      } else {
        run += 1
      }
      i += 1
    }
    lastNUL = longest <= FDT.maxPropertyNameLength ? last : -1
  }

  @inline(__always)
  func valid(_ offset: Int) -> Bool { offset >= 0 && offset <= lastNUL }
}
