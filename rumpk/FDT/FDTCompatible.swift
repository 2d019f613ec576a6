// Finding nodes by their "compatible" string list.

extension FDT {
  /// True when `compat` is one of the strings in the node's "compatible".
  public func isCompatible(_ node: FDTNode, _ compat: StaticString) -> Bool {
    guard let list = property(node, "compatible") else { return false }
    return FDT.listContains(list, compat)
  }

  /// True when `value` is one of the NUL-terminated strings of the string-list property value
  /// `list` (such as a "compatible" read once with property(_:_:) and tested against several
  /// names). Trailing bytes without a NUL are ignored, as forEachString does.
  public static func listContains(_ list: UnsafeRawBufferPointer, _ value: StaticString) -> Bool {
    withBytes(value) { wanted in
      var start = 0
      while let nul = indexOfNUL(list, from: start) {  // 4 bytes per step; lengths compared first
        if bytesEqual(slice(list, start..<nul), wanted) { return true }
        start = nul + 1
      }
      return false
    }
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
