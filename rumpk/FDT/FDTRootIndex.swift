// The root's children as a walk passes them, so that a path read only at the end of the walk
// resolves without a walk of its own. QEMU puts /chosen last: its stdout-path is known only after
// the validating walk (FDT.init(_:walk:)), and node(path:) would then walk most of the tree again
// to find a child of the root.

public struct FDTRootIndex {
  public static let capacity = 64
  var offsets = InlineArray<64, UInt32>(repeating: 0)
  var count = 0

  public init() {}

  /// Records `n` if it is a child of the root. Assumes the nodes come from one walk of one tree,
  /// in its order (a node from elsewhere costs a wrong answer later, never a fault: lookups
  /// re-check every offset). The index may stop anywhere (a walk that ended early, more than
  /// `capacity` children): node(path:in:) searches the children after the last one recorded.
  public mutating func visit(_ n: FDTWalkNode) {
    guard n.depth == 1, count < FDTRootIndex.capacity,
      let offset = UInt32(exactly: n.node.offset)
    else { return }
    offsets[count] = offset
    count += 1
  }

  /// What fdt.node(path:) finds for `path` (absolute, or an alias resolved through /aliases), and
  /// that node's parent (nil for the root), for reg with the parent's cell counts. Assumes the
  /// index was fed by a walk of `fdt`. Guarantees the same answer as node(path:): the recorded
  /// children are compared in order; when none matches, the search goes on with the siblings that
  /// follow the last recorded child, then below the first match with child(of:component:).
  public func node(path: UnsafeRawBufferPointer, in fdt: FDT) -> (node: FDTNode, parent: FDTNode?)? {
    let slash = UInt8(ascii: "/")
    guard path.count > 0 else { return nil }
    guard path[0] == slash else {
      let aliasEnd = indexOf(slash, in: path)
      guard fdt.aliasesOffset >= 0,
        let target = fdt.string(FDTNode(offset: fdt.aliasesOffset), slice(path, 0..<aliasEnd)),
        target.count > 0, target[0] == slash,
        let resolved = node(path: target, in: fdt)
      else { return nil }
      return aliasEnd == path.count ? resolved : fdt.descend(from: resolved, slice(path, aliasEnd..<path.count))
    }
    var i = 0
    while i < path.count && path[i] == slash { i += 1 }
    if i == path.count { return (fdt.root, nil) }
    var end = i
    while end < path.count && path[end] != slash { end += 1 }
    let component = slice(path, i..<end)
    // The recorded offsets through one raw view: an element read through self copied the whole
    // array each time.
    var last = -1
    var first: FDTNode? = withUnsafeBytes(of: offsets) { raw -> FDTNode? in
      var k = 0
      while k < count {
        let c = FDTNode(offset: Int(raw.load(fromByteOffset: k &* 4, as: UInt32.self)))
        if fdt.nodeNameMatches(c, component: component) { return c }
        last = c.offset
        k &+= 1
      }
      return nil
    }
    if first == nil {
      if last >= 0 {
        fdt.forEachSibling(after: FDTNode(offset: last)) { c in
          if fdt.nameMatches(c, component: component) { first = c }
          return first == nil
        }
      } else {
        first = fdt.child(of: fdt.root, component: component)
      }
    }
    guard let first else { return nil }
    return fdt.descend(from: (first, fdt.root), slice(path, end..<path.count))
  }
}

extension FDT {
  /// Follows the components of `rest` (a path tail such as "/a/b", or empty) below `start`, as
  /// lookup(_:allowAlias:) does; returns the node reached and its parent.
  func descend(
    from start: (node: FDTNode, parent: FDTNode?), _ rest: UnsafeRawBufferPointer
  ) -> (node: FDTNode, parent: FDTNode?)? {
    let slash = UInt8(ascii: "/")
    var current = start
    var i = 0
    while true {
      while i < rest.count && rest[i] == slash { i += 1 }
      if i == rest.count { return current }
      var end = i
      while end < rest.count && rest[end] != slash { end += 1 }
      guard let next = child(of: current.node, component: slice(rest, i..<end)) else { return nil }
      current = (next, current.node)
      i = end
    }
  }
}
