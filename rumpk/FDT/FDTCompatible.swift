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
/// searched each list for its NULs once per kind. Four words: the names stay in their StaticString,
/// their positions and lengths are packed a byte each (a struct with arrays was copied into every
/// closure that read it).
public struct FDTNameSet {
  public static let capacity = 8
  let names: StaticString
  let lengthMask: UInt64  // bit min(length, 63) of each name: most strings are rejected by length
  let starts: UInt64      // byte k: where name k starts in `names`
  let lengths: UInt64     // byte k: its length; 0 for a name that is not matched (see init)

  /// `names` holds non-empty names, each ended by a NUL ("arm,pl011\0arm,gic-v3\0"; a last name
  /// without one counts too). Name k (from 0, empty entries not counted) is bit k of matches(_:).
  /// Only the first `capacity` names are looked for, and only those whose NUL (or end) lies within
  /// the first 256 bytes of `names`.
  public init(_ names: StaticString) {
    self.names = names
    var mask: UInt64 = 0, starts: UInt64 = 0, lengths: UInt64 = 0
    withBytes(names) { all in
      var start = 0
      var k = 0
      var i = 0
      while i <= all.count && k < FDTNameSet.capacity {
        if i == all.count || all[i] == 0 {
          if i > start {
            if i <= 255 {
              let length = i &- start
              starts |= UInt64(start) &<< UInt64(8 &* k)
              lengths |= UInt64(length) &<< UInt64(8 &* k)
              mask |= 1 &<< UInt64(min(length, 63))
            }
            k &+= 1
          }
          start = i &+ 1
        }
        i &+= 1
      }
    }
    lengthMask = mask
    self.starts = starts
    self.lengths = lengths
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
          var k = 0
          while k < FDTNameSet.capacity {
            let shift = UInt64(8 &* k)
            let n = Int(lengths &>> shift & 0xFF)
            if n == length && n > 0 {
              let at = Int(starts &>> shift & 0xFF)
              if bytesEqual(s, slice(all, at..<(at &+ n))) { found |= 1 &<< UInt32(k) }
            }
            k &+= 1
          }
        }
      }
      start = nul &+ 1
    }
    return found
  }
}
