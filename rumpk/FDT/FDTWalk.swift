// One walk over the whole tree that hands each node over with what readers otherwise walk again for:
// its parent, depth and name, and the parent's #address-cells / #size-cells (which its reg uses).
// Boot-time discovery reads everything it needs from one such walk (docs/benchmarks.md: a lookup per
// path or compatible string, and two more walks per reg to find the parent, cost 0.9 M instructions
// on QEMU's aarch64 tree).

/// A node as FDT.walk reports it. Valid for the FDT that reported it.
public struct FDTWalkNode {
  public let node: FDTNode
  /// nil for the root.
  public let parent: FDTNode?
  /// The root is at depth 0.
  public let depth: Int
  /// "name@unit", without NUL; empty for the root.
  public let name: UnsafeRawBufferPointer
  /// The parent's #address-cells and #size-cells (the first such property of the parent, if it is
  /// 4 bytes long; else 2 and 1, the defaults, as for the root), clamped to 255: what reg uses.
  public let addressCells: Int
  public let sizeCells: Int
  /// Offset of the first token after the node's BEGIN_NODE: property lookups start here.
  let body: Int
  /// The node's first "compatible" and "reg" values, read by the walk on its way (nil: absent).
  public internal(set) var compatible: UnsafeRawBufferPointer? = nil
  var regValue: UnsafeRawBufferPointer? = nil
}

extension FDT {
  /// Calls `body` for every node in depth-first blob order until it returns false: the pass of
  /// scan(_:) over the blob, whose errors (only in a blob changed after validation) end the walk.
  /// A node is reported once its properties have been read (at its first child or its end), with
  /// its "compatible" and "reg" values, so the common lookups need no second pass over them.
  public func walk(_ body: (FDTWalkNode) -> Bool) {
    _ = try? scan { _, n in body(n) }
  }

  /// The one pass over the structure block that validates it and walks it. Assumes the header
  /// checks of FDTHeader(validating:) hold for self's blocks. Reads tokens from offset 0 to the END
  /// token and guarantees on return: the first token other than NOP begins the root; BEGIN_NODE and
  /// END_NODE balance with depth ≤ maxDepth; properties occur only inside a node and before its
  /// first child; every node name has its NUL inside the block and every property name offset is
  /// one stringRange(at:) accepts; an END token follows the root. Throws at the first violation.
  /// Returns the root's offset and those of the first root children that node(path:) finds for
  /// "/chosen" and "/aliases" (-1: none). Until `body` returns false, each node is reported with
  /// self as walk(_:) says; afterwards the pass only validates. Terminates: each token advances
  /// ≥ 4 bytes, and the open nodes and their cell counts live on stacks of maxDepth entries (no
  /// allocation).
  func scan(_ body: (FDT, FDTWalkNode) -> Bool) throws(FDTError) -> (root: Int, chosen: Int, aliases: Int) {
    var open = InlineArray<64, Int>(repeating: 0)  // offset of the open node at each depth
    var cells = InlineArray<64, UInt32>(repeating: FDT.defaultCells)  // address | size << 8 | seen bits
    var hasChild: UInt64 = 0  // bit d-1: the open node at depth d has had a child
    let names = StringsCheck(stringsBlock)
    var reporting = true
    // The node whose properties are being read (pending ≥ 0: its offset), and what it is reported
    // with; kept in scalars, as an optional FDTWalkNode it was copied at every report.
    var pending = -1, pendingParent = -1, pendingDepth = 0, pendingBody = 0, pendingCells = FDT.defaultCells
    var pendingName = 0..<0
    var compatible: UnsafeRawBufferPointer? = nil, reg: UnsafeRawBufferPointer? = nil
    // Strings-block offsets found to hold "compatible", "reg", "#address-cells", "#size-cells" (-1:
    // none yet). dtc and QEMU store each name once, so after the first match a name is recognised
    // by its offset; another offset is still compared byte by byte (a blob need not share names).
    var compatibleName = -1, regName = -1, addressCellsName = -1, sizeCellsName = -1
    var root = -1, chosen = -1, aliases = -1
    var offset = 0
    var depth = 0
    while true {
      let t = try decodeTokenInline(at: offset)
      // Any token but a property or NOP ends the pending node's properties: report it (one call
      // site, so the body is inlined once).
      if pending >= 0 {
        switch t.token {
        case .property, .nop: break
        case .beginNode, .endNode, .end:
          reporting = body(self, FDTWalkNode(
            node: FDTNode(offset: pending), parent: pendingParent >= 0 ? FDTNode(offset: pendingParent) : nil,
            depth: pendingDepth, name: slice(structBlock, pendingName), addressCells: Int(pendingCells & 0xFF),
            sizeCells: Int(pendingCells >> 8 & 0xFF), body: pendingBody, compatible: compatible, regValue: reg))
          pending = -1
        }
      }
      switch t.token {
      case .beginNode(let name):
        if depth == 0 {
          guard root < 0 else { throw .badStructure }
          root = offset
        } else {
          hasChild |= 1 &<< (depth &- 1)
          // node(path: "/chosen") and "/aliases": the first child of the root that matches.
          if depth == 1 && name.count >= 6 {
            let first = structBlock[name.lowerBound]
            let n = slice(structBlock, name)
            if first == UInt8(ascii: "c"), chosen < 0, FDT.nameMatches(n, component: "chosen") {
              chosen = offset
            } else if first == UInt8(ascii: "a"), aliases < 0, FDT.nameMatches(n, component: "aliases") {
              aliases = offset
            }
          }
        }
        guard depth < FDT.maxDepth else { throw .tooDeep }
        if reporting {
          pending = offset
          pendingParent = depth > 0 ? open[depth &- 1] : -1
          pendingDepth = depth
          pendingBody = t.next
          pendingCells = depth > 0 ? cells[depth &- 1] : FDT.defaultCells
          pendingName = name
          compatible = nil
          reg = nil
          open[depth] = offset
          cells[depth] = FDT.defaultCells
        }
        depth &+= 1
        hasChild &= ~(1 &<< (depth &- 1))
      case .endNode:
        guard depth > 0 else { throw .badStructure }
        depth &-= 1
      case .property(let nameOffset, let value):
        guard depth > 0, hasChild & (1 &<< (depth &- 1)) == 0 else { throw .badStructure }
        if !names.valid(nameOffset) { _ = try stringRange(at: nameOffset) }
        guard reporting else { break }
        // Only four names matter here; their first bytes tell them apart (decodeToken checked
        // nameOffset).
        switch stringsBlock[nameOffset] {
        case UInt8(ascii: "#"):
          let d = depth &- 1
          let v = value.count == 4 ? min(loadBE32(structBlock, value.lowerBound), 255) : nil
          if cells[d] & FDT.addressSeen == 0, nameOffset == addressCellsName
            || withBytes("#address-cells", { propertyNameEquals(nameOffset, $0) }) {
            addressCellsName = nameOffset
            cells[d] = cells[d] & ~0xFF | (v ?? 2) | FDT.addressSeen
          } else if cells[d] & FDT.sizeSeen == 0, nameOffset == sizeCellsName
            || withBytes("#size-cells", { propertyNameEquals(nameOffset, $0) }) {
            sizeCellsName = nameOffset
            cells[d] = cells[d] & ~0xFF00 | (v ?? 1) << 8 | FDT.sizeSeen
          }
        case UInt8(ascii: "c"):
          if pending >= 0, compatible == nil, nameOffset == compatibleName
            || withBytes("compatible", { propertyNameEquals(nameOffset, $0) }) {
            compatibleName = nameOffset
            compatible = slice(structBlock, value)
          }
        case UInt8(ascii: "r"):
          if pending >= 0, reg == nil, nameOffset == regName
            || withBytes("reg", { propertyNameEquals(nameOffset, $0) }) {
            regName = nameOffset
            reg = slice(structBlock, value)
          }
        default:
          break
        }
      case .end:
        guard depth == 0, root >= 0 else { throw .badStructure }
        return (root, chosen, aliases)
      case .nop:
        break
      }
      offset = t.next
    }
  }

  static let defaultCells: UInt32 = 2 | 1 << 8
  static let addressSeen: UInt32 = 1 << 16
  static let sizeSeen: UInt32 = 1 << 17

  /// The value of the first property of `n` called `name`: property(_:_:) without re-reading the
  /// node's BEGIN_NODE.
  public func property(_ n: FDTWalkNode, _ name: StaticString) -> UnsafeRawBufferPointer? {
    withBytes(name) { property(body: n.body, $0) }
  }

  /// Cell `index` of `n`'s property `name`: cell(_:_:index:) without re-reading the BEGIN_NODE.
  public func cell(_ n: FDTWalkNode, _ name: StaticString, index: Int) -> UInt32? {
    property(n, name).flatMap { FDT.cell(value: $0, index: index) }
  }

  /// u64(_:_:) for a walk node.
  public func u64(_ n: FDTWalkNode, _ name: StaticString) -> UInt64? {
    property(n, name).flatMap { FDT.u64(value: $0) }
  }

  /// stringEquals(_:_:_:) for a walk node.
  public func stringEquals(_ n: FDTWalkNode, _ name: StaticString, _ value: StaticString) -> Bool {
    guard let v = property(n, name), let s = FDT.string(value: v) else { return false }
    return bytesEqual(s, value)
  }

  /// Entry `index` of `n`'s reg, decoded with the parent's cell counts the walk carried.
  public func reg(_ n: FDTWalkNode, index: Int) -> (address: UInt64, size: UInt64)? {
    guard index >= 0, let v = n.regValue else { return nil }
    return FDT.reg(v, index: index, addressCells: n.addressCells, sizeCells: n.sizeCells)
  }

  /// True when `compat` is one of the strings of `n`'s "compatible".
  public func isCompatible(_ n: FDTWalkNode, _ compat: StaticString) -> Bool {
    guard let list = n.compatible else { return false }
    return FDT.listContains(list, compat)
  }
}

/// Resolves an absolute path ("/soc/serial@10000000") during an FDT.walk, as node(path:) does: at
/// each level the first child whose name matches the component (see nameMatches), no backtracking.
/// Feed it every node the walk reports; `node` is set once the whole path has matched.
public struct FDTPathMatch {
  let path: UnsafeRawBufferPointer
  var next = 0                 // the next component is path[next..<end]
  var end = 0
  var current: FDTNode? = nil  // the node the components so far named
  public private(set) var node: FDTNode? = nil

  /// nil unless `path` is absolute (aliases need node(path:)).
  public init?(_ path: UnsafeRawBufferPointer) {
    guard path.count > 0, path[0] == UInt8(ascii: "/") else { return nil }
    self.path = path
  }

  /// True when `n` is the node the path names (reported once).
  public mutating func visit(_ n: FDTWalkNode) -> Bool {
    guard node == nil else { return false }
    if n.depth == 0 {
      current = n.node
    } else {
      guard let current, n.parent == current, n.name.count >= end - next,
        FDT.nameMatches(n.name, component: slice(path, next..<end))
      else { return false }
      self.current = n.node
      next = end
    }
    while next < path.count && path[next] == UInt8(ascii: "/") { next += 1 }
    if next == path.count {
      node = n.node
      return true
    }
    end = next
    while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
    return false
  }
}
