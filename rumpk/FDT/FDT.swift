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
  /// validating pass so /chosen and alias lookups cost no walk of their own; -1: none.
  var chosenOffset = -1
  var aliasesOffset = -1

  public var totalSize: Int { bytes.count }

  /// Validates the header and the whole structure block in one pass (FDT.scan).
  /// `blob` may be longer than totalsize; the extra bytes are ignored.
  public init(_ blob: UnsafeRawBufferPointer) throws(FDTError) {
    try self.init(blob) { _, _ in false }
  }

  /// Validates `blob` as init(_:) does and, in the same pass, reports its nodes to `body` as
  /// walk(_:) does (until `body` returns false; validation goes on to the END token): boot-time
  /// discovery without a second pass over the tree. `body` may see nodes of a blob that is found
  /// malformed further on: when this throws, the caller must drop what `body` learned. The FDT
  /// handed to `body` is safe to read (every accessor re-checks its offsets) and knows its root,
  /// but not /chosen or /aliases (chosen is nil, an alias resolves to nothing) before the pass
  /// ends: resolve stdout-path after the walk (QEMU puts /chosen last); FDTRootIndex makes that
  /// cheap.
  public init(_ blob: UnsafeRawBufferPointer, walk body: (FDT, FDTWalkNode) -> Bool) throws(FDTError) {
    let h = try FDTHeader(validating: blob)
    header = h
    bytes = slice(blob, 0..<Int(h.totalSize))
    structBlock = slice(bytes, h.structRange)
    stringsBlock = slice(bytes, h.stringsRange)
    reservationBlock = slice(bytes, h.reservationRange)
    rootOffset = FDT.firstNonNOP(structBlock)  // what scan checks is the root
    (rootOffset, chosenOffset, aliasesOffset) = try scan(body)
  }

  /// Validates the blob at `address`, whose totalsize (read from its header) must not exceed
  /// `maxSize`. Reads nothing beyond min(maxSize, totalsize) bytes.
  public static func at(_ address: UnsafeRawPointer, maxSize: Int) throws(FDTError) -> FDT {
    try FDT(blobAt(address, maxSize: maxSize))
  }

  /// at(_:maxSize:) with the nodes reported to `body` in the validating pass (init(_:walk:)).
  public static func at(
    _ address: UnsafeRawPointer, maxSize: Int, walk body: (FDT, FDTWalkNode) -> Bool
  ) throws(FDTError) -> FDT {
    try FDT(blobAt(address, maxSize: maxSize), walk: body)
  }

  /// Offset of the first structure-block token that is not a NOP (if the block holds no other, its
  /// size: scan then fails).
  static func firstNonNOP(_ s: UnsafeRawBufferPointer) -> Int {
    var offset = 0
    while offset <= s.count &- 4 && loadBE32(s, offset) == FDTTag.nop { offset &+= 4 }
    return offset
  }

  /// The totalsize bytes at `address`, once the magic is there and totalsize ≤ maxSize.
  static func blobAt(_ address: UnsafeRawPointer, maxSize: Int) throws(FDTError) -> UnsafeRawBufferPointer {
    guard maxSize >= FDTHeader.size else { throw .truncated }
    let head = UnsafeRawBufferPointer(start: address, count: FDTHeader.size)
    guard loadBE32(head, 0) == FDTHeader.magic else { throw .badMagic }
    guard let total = Int(exactly: loadBE32(head, 4)), total <= maxSize else { throw .truncated }
    return UnsafeRawBufferPointer(start: address, count: total)
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
