// Nodes: lightweight handles (the offset of a BEGIN_NODE token), navigation by path, children,
// depth-first iteration and parent lookup. Every walk follows decodeToken, so it is bounded by the
// size of the structure block; a handle that does not point at a BEGIN_NODE behaves as absent.

public struct FDTNode: Equatable {
  /// Offset of the node's BEGIN_NODE token in the structure block.
  public let offset: Int

  public init(offset: Int) { self.offset = offset }
}

extension FDT {
  public var root: FDTNode { FDTNode(offset: rootOffset) }

  /// Offset of the first token after the node's BEGIN_NODE, or nil if `node` is not a node.
  func bodyOffset(_ node: FDTNode) -> Int? {
    guard let t = token(at: node.offset), case .beginNode = t.token else { return nil }
    return t.next
  }

  /// The node's name ("name@unit", "" for the root), without NUL; empty if `node` is invalid.
  public func name(of node: FDTNode) -> UnsafeRawBufferPointer {
    guard let t = token(at: node.offset), case .beginNode(let name) = t.token else {
      return UnsafeRawBufferPointer(start: nil, count: 0)
    }
    return slice(structBlock, name)
  }

  public func nameEquals(_ node: FDTNode, _ name: StaticString) -> Bool {
    bytesEqual(self.name(of: node), name)
  }

  /// The node's name up to its '@', if any.
  public func baseName(of node: FDTNode) -> UnsafeRawBufferPointer {
    let full = name(of: node)
    return slice(full, 0..<indexOf(UInt8(ascii: "@"), in: full))
  }

  /// Calls `body` for each direct child of `node`, in blob order, until it returns false.
  public func forEachChild(of node: FDTNode, _ body: (FDTNode) -> Bool) {
    forEachNode(at: 0, from: node, body)
  }

  /// Calls `body` for each sibling that follows `node` (its parent's later children), in blob order,
  /// until it returns false. Assumes nothing of `node`: a handle that is not a node has none.
  /// Bounded by the structure block, as every walk.
  func forEachSibling(after node: FDTNode, _ body: (FDTNode) -> Bool) {
    forEachNode(at: 1, from: node, body)
  }

  /// Walks the tokens from `node`'s body and calls `body` for each node that begins `depth` levels
  /// above them (0: `node`'s children; 1: the siblings that follow it), until `body` returns false
  /// or the walk leaves that level. Bounded by the structure block.
  private func forEachNode(at depth: Int, from node: FDTNode, _ body: (FDTNode) -> Bool) {
    guard var offset = bodyOffset(node) else { return }
    var depth = depth
    while let t = token(at: offset) {
      switch t.token {
      case .beginNode:
        if depth == 0 && !body(FDTNode(offset: offset)) { return }
        depth += 1
      case .endNode:
        if depth == 0 { return }
        depth -= 1
      case .end:
        return
      case .property, .nop:
        break
      }
      offset = t.next
    }
  }

  /// nameMatches(node, component:) without the search for the whole name's NUL: compares the
  /// component in place and looks at the byte after it, so a name that differs early costs a load
  /// or two. Assumes `node` is a node of this tree (for a handle that is not one, this says false
  /// even for an empty component). Same answer as nameMatches for a node: all reads bounds-checked.
  func nodeNameMatches(_ node: FDTNode, component: UnsafeRawBufferPointer) -> Bool {
    let s = structBlock
    let o = node.offset
    guard o >= 0, o & 3 == 0, o <= s.count &- 4, loadBE32(s, o) == FDTTag.beginNode else { return false }
    let name = o &+ 4
    let n = component.count
    guard n < s.count &- name else { return false }  // no room for the name and its NUL
    var j = 0
    while j < n {
      let b = s[name &+ j]
      if b != component[j] || b == 0 { return false }
      j &+= 1
    }
    let after = s[name &+ n]
    if after == 0 { return true }
    return after == UInt8(ascii: "@") && indexOf(UInt8(ascii: "@"), in: component) == n
      && indexOfNUL(s, from: name &+ n) != nil
  }

  /// The first child of `node` whose name matches `name` as a path component does.
  public func child(of node: FDTNode, named name: StaticString) -> FDTNode? {
    withBytes(name) { child(of: node, component: $0) }
  }

  /// Calls `body(node, depth)` for every node in depth-first blob order, the root at depth 0,
  /// until it returns false.
  public func forEachNode(_ body: (FDTNode, Int) -> Bool) {
    var offset = rootOffset
    var depth = 0
    while let t = token(at: offset) {
      switch t.token {
      case .beginNode:
        if !body(FDTNode(offset: offset), depth) { return }
        depth += 1
      case .endNode:
        depth -= 1
        if depth <= 0 { return }
      case .end:
        return
      case .property, .nop:
        break
      }
      offset = t.next
    }
  }

  /// Calls `body(node, parent, depth)` for every node in depth-first blob order (the root at depth
  /// 0 with parent nil) until it returns false: forEachNode plus each node's parent, from one walk
  /// that keeps the open nodes on a stack of FDT.maxDepth entries (no allocation). A node nested
  /// deeper than that (possible only in a blob changed after validation) ends the walk.
  public func forEachNodeWithParent(_ body: (FDTNode, FDTNode?, Int) -> Bool) {
    var open = InlineArray<64, Int>(repeating: 0)  // open[d]: offset of the open node at depth d
    var offset = rootOffset
    var depth = 0
    while let t = token(at: offset) {
      switch t.token {
      case .beginNode:
        guard depth < FDT.maxDepth, depth < open.count else { return }
        let parent = depth > 0 ? FDTNode(offset: open[depth - 1]) : nil
        if !body(FDTNode(offset: offset), parent, depth) { return }
        open[depth] = offset
        depth += 1
      case .endNode:
        depth -= 1
        if depth <= 0 { return }
      case .end:
        return
      case .property, .nop:
        break
      }
      offset = t.next
    }
  }

  /// Depth of `node` (root = 0), or nil if it is not a node of this tree. One walk, up to `node`.
  public func depth(of node: FDTNode) -> Int? {
    var found: Int? = nil
    forEachNodeWithParent { n, _, depth in
      if n.offset == node.offset { found = depth }
      return found == nil && n.offset < node.offset
    }
    return found
  }

  /// The parent of `node`; nil for the root or an invalid handle. One walk, up to `node`.
  public func parent(of node: FDTNode) -> FDTNode? {
    var found: FDTNode? = nil
    forEachNodeWithParent { n, parent, _ in
      if n.offset == node.offset { found = parent }
      return n.offset < node.offset
    }
    return found
  }

  /// Looks a node up by absolute path ("/", "/chosen", "/rumkv/cell@0") or by alias
  /// ("serial0", "serial0/child"). A component without '@' also matches "component@unit".
  public func node(path: StaticString) -> FDTNode? {
    withBytes(path) { node(path: $0) }
  }

  /// node(path:) for a path held in bytes (such as a property value), without NUL.
  public func node(path: UnsafeRawBufferPointer) -> FDTNode? {
    lookup(path, allowAlias: true)
  }

  func lookup(_ path: UnsafeRawBufferPointer, allowAlias: Bool) -> FDTNode? {
    let slash = UInt8(ascii: "/")
    guard path.count > 0 else { return nil }
    var current = root
    var i = 0
    if path[0] != slash {
      guard allowAlias else { return nil }
      let aliasEnd = indexOf(slash, in: path)
      guard aliasesOffset >= 0 else { return nil }
      let aliases = FDTNode(offset: aliasesOffset)
      guard let target = string(aliases, slice(path, 0..<aliasEnd)),
        let resolved = lookup(target, allowAlias: false)
      else { return nil }
      current = resolved
      i = aliasEnd
    }
    while true {
      while i < path.count && path[i] == slash { i += 1 }
      if i == path.count { return current }
      var end = i
      while end < path.count && path[end] != slash { end += 1 }
      guard let next = child(of: current, component: slice(path, i..<end)) else { return nil }
      current = next
      i = end
    }
  }

  /// The first child whose name equals `component`, or, when `component` has no '@', whose name
  /// is "component@...".
  func child(of node: FDTNode, component: UnsafeRawBufferPointer) -> FDTNode? {
    var found: FDTNode? = nil
    forEachChild(of: node) { c in
      if nameMatches(c, component: component) { found = c }
      return found == nil
    }
    return found
  }

  /// True when `node`'s name matches `component` as a path component does: equal, or, when
  /// `component` has no '@', "component@unit". For matching paths during a forEachNodeWithParent
  /// walk (the first child of the root that matches "memory" is what node(path: "/memory") finds).
  public func nameMatches(_ node: FDTNode, component: StaticString) -> Bool {
    FDT.nameMatches(name(of: node), component: component)
  }

  public func nameMatches(_ node: FDTNode, component: UnsafeRawBufferPointer) -> Bool {
    FDT.nameMatches(name(of: node), component: component)
  }

  /// nameMatches for a node name already read with name(of:) (one decode for several components).
  public static func nameMatches(_ name: UnsafeRawBufferPointer, component: StaticString) -> Bool {
    withBytes(component) { nameMatches(name, component: $0) }
  }

  public static func nameMatches(_ name: UnsafeRawBufferPointer, component: UnsafeRawBufferPointer) -> Bool {
    let at = UInt8(ascii: "@")
    if bytesEqual(name, component) { return true }
    return name.count > component.count && name[component.count] == at
      && indexOf(at, in: component) == component.count
      && bytesEqual(slice(name, 0..<component.count), component)
  }

  /// The node whose "phandle" (or legacy "linux,phandle") property is `phandle`.
  public func node(phandle: UInt32) -> FDTNode? {
    var found: FDTNode? = nil
    forEachNode { n, _ in
      if u32(n, "phandle") == phandle || u32(n, "linux,phandle") == phandle { found = n }
      return found == nil
    }
    return found
  }
}
