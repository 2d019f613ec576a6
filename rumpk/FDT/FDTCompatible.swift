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

/// Names to look for in string lists such as "compatible", all tested in one pass over a list:
/// boot-time discovery tests every node against each device kind it knows, and a test per kind
/// searched each list for its NULs once per kind. Two words: the names stay in their StaticString
/// (a bigger struct is copied into every closure that reads it).
public struct FDTNameSet {
  let names: StaticString
  let lengthMask: UInt64  // bit min(length, 63) of each name: most strings are rejected by length

  /// `names` holds non-empty names, each ended by a NUL ("arm,pl011\0arm,gic-v3\0"; a last name
  /// without one counts too). Name k (from 0, empty entries not counted) is bit k of matches(_:);
  /// names past the 32nd are never reported.
  public init(_ names: StaticString) {
    self.names = names
    var mask: UInt64 = 0
    FDTNameSet.forEachName(names) { _, length, _ in
      mask |= 1 &<< UInt64(min(length, 63))
      return true
    }
    lengthMask = mask
  }

  /// Calls `body(start, length, k)` for the k-th non-empty name of `names` until it returns false.
  static func forEachName(_ names: StaticString, _ body: (Int, Int, Int) -> Bool) {
    withBytes(names) { all in
      var start = 0
      var k = 0
      var i = 0
      while i <= all.count {
        if i == all.count || all[i] == 0 {
          if i > start {
            if !body(start, i &- start, k) { return }
            k &+= 1
          }
          start = i &+ 1
        }
        i &+= 1
      }
    }
  }

  /// Bit k is set when name k (see init) is one of the NUL-terminated strings of `list` (a
  /// "compatible" value). Trailing bytes without a NUL are ignored, as listContains does. Only a
  /// string whose length some name has is compared with the names.
  public func matches(_ list: UnsafeRawBufferPointer) -> UInt32 {
    var found: UInt32 = 0
    var start = 0
    while let nul = indexOfNUL(list, from: start) {
      let length = nul &- start
      if lengthMask & (1 &<< UInt64(min(length, 63))) != 0 {
        let s = slice(list, start..<nul)
        withBytes(names) { all in
          FDTNameSet.forEachName(names) { at, n, k in
            if k < 32 && n == length && bytesEqual(s, slice(all, at..<(at &+ n))) { found |= 1 &<< UInt32(k) }
            return k < 32
          }
        }
      }
      start = nul &+ 1
    }
    return found
  }
}
