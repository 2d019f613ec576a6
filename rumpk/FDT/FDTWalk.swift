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
  /// Calls `body` for every node in depth-first blob order until it returns false. One walk; the
  /// open nodes and their cell counts are kept on a stack of FDT.maxDepth entries (no allocation).
  /// A node is reported once its properties have been read (at its first child or its end), with
  /// its "compatible" and "reg" values, so the common lookups need no second pass over them.
  /// A node nested deeper than FDT.maxDepth (only in a blob changed after validation) ends the walk.
  public func walk(_ body: (FDTWalkNode) -> Bool) {
    // Per open node: its offset, and its cell counts packed as address | size << 8 | seen bits.
    var open = InlineArray<64, Int>(repeating: 0)
    var cells = InlineArray<64, UInt32>(repeating: FDT.defaultCells)
    var pending: FDTWalkNode? = nil  // the node whose properties are being read
    var compatible: UnsafeRawBufferPointer? = nil, reg: UnsafeRawBufferPointer? = nil  // its values
    var offset = rootOffset
    var depth = 0
    while let t = try? decodeTokenInline(at: offset) {
      // Any token but a property or NOP ends the pending node's properties: report it (one call
      // site, so the body is inlined once).
      if var n = pending {
        switch t.token {
        case .property, .nop: break
        case .beginNode, .endNode, .end:
          pending = nil
          n.compatible = compatible
          n.regValue = reg
          if !body(n) { return }
        }
      }
      switch t.token {
      case .beginNode(let name):
        guard depth < FDT.maxDepth, depth < open.count else { return }
        let c = depth > 0 ? cells[depth - 1] : FDT.defaultCells
        pending = FDTWalkNode(
          node: FDTNode(offset: offset), parent: depth > 0 ? FDTNode(offset: open[depth - 1]) : nil, depth: depth,
          name: slice(structBlock, name), addressCells: Int(c & 0xFF), sizeCells: Int(c >> 8 & 0xFF), body: t.next)
        compatible = nil
        reg = nil
        open[depth] = offset
        cells[depth] = FDT.defaultCells
        depth += 1
      case .property(let nameOffset, let value):
        // Only three names matter here; their first bytes differ (decodeToken checked nameOffset).
        guard depth > 0 else { break }
        switch stringsBlock[nameOffset] {
        case UInt8(ascii: "#"):
          let d = depth - 1
          let v = value.count == 4 ? min(loadBE32(structBlock, value.lowerBound), 255) : nil
          if cells[d] & FDT.addressSeen == 0, withBytes("#address-cells", { propertyNameEquals(nameOffset, $0) }) {
            cells[d] = cells[d] & ~0xFF | (v ?? 2) | FDT.addressSeen
          } else if cells[d] & FDT.sizeSeen == 0, withBytes("#size-cells", { propertyNameEquals(nameOffset, $0) }) {
            cells[d] = cells[d] & ~0xFF00 | (v ?? 1) << 8 | FDT.sizeSeen
          }
        case UInt8(ascii: "c"):
          if pending != nil, compatible == nil, withBytes("compatible", { propertyNameEquals(nameOffset, $0) }) {
            compatible = slice(structBlock, value)
          }
        case UInt8(ascii: "r"):
          if pending != nil, reg == nil, withBytes("reg", { propertyNameEquals(nameOffset, $0) }) {
            reg = slice(structBlock, value)
          }
        default:
          break
        }
      case .endNode:
        depth -= 1
        if depth <= 0 { return }
      case .end:
        return
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
