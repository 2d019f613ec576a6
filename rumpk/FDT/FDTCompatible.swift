// Finding nodes by their "compatible" string list.

extension FDT {
  /// True when `compat` is one of the strings in the node's "compatible".
  public func isCompatible(_ node: FDTNode, _ compat: StaticString) -> Bool {
    stringListContains(node, "compatible", compat)
  }

  /// Calls `body` for each node compatible with `compat`, in blob order, until it returns false.
  public func forEachCompatible(_ compat: StaticString, _ body: (FDTNode) -> Bool) {
    forEachNode { n, _ in
      isCompatible(n, compat) ? body(n) : true
    }
  }

  public func firstCompatible(_ compat: StaticString) -> FDTNode? {
    var found: FDTNode? = nil
    forEachCompatible(compat) { n in
      found = n
      return false
    }
    return found
  }

  public func countCompatible(_ compat: StaticString) -> Int {
    var count = 0
    forEachCompatible(compat) { _ in
      count += 1
      return true
    }
    return count
  }
}
