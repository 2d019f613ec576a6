// Properties of a node: lookup by name and typed reads (big-endian cells, strings, string lists).
// Values are slices of the blob; nothing is copied.

public struct FDTProperty {
  /// The property name, without NUL.
  public let name: UnsafeRawBufferPointer
  public let value: UnsafeRawBufferPointer
}

extension FDT {
  /// Calls `body` for each property of `node`, in blob order, until it returns false.
  public func forEachProperty(of node: FDTNode, _ body: (FDTProperty) -> Bool) {
    guard var offset = bodyOffset(node) else { return }
    while let t = token(at: offset) {
      switch t.token {
      case .property(let nameOffset, let value):
        guard let name = try? stringRange(at: nameOffset) else { return }
        if !body(FDTProperty(name: slice(stringsBlock, name), value: slice(structBlock, value))) { return }
      case .nop:
        break
      case .beginNode, .endNode, .end:
        return
      }
      offset = t.next
    }
  }

  public func property(_ node: FDTNode, _ name: StaticString) -> UnsafeRawBufferPointer? {
    withBytes(name) { property(node, $0) }
  }

  /// The value of the node's first property called `name`. Compares names in place (no search for
  /// each name's NUL): the cheap per-property lookup every other accessor builds on.
  public func property(_ node: FDTNode, _ name: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    guard let offset = bodyOffset(node) else { return nil }
    return property(body: offset, name)
  }

  /// The property lookup from the first token after a BEGIN_NODE.
  func property(body: Int, _ name: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    var offset = body
    while let t = try? decodeTokenInline(at: offset) {
      switch t.token {
      case .property(let nameOffset, let value):
        if propertyNameEquals(nameOffset, name) { return slice(structBlock, value) }
      case .nop:
        break
      case .beginNode, .endNode, .end:
        return nil
      }
      offset = t.next
    }
    return nil
  }

  public func hasProperty(_ node: FDTNode, _ name: StaticString) -> Bool {
    property(node, name) != nil
  }

  /// A property of exactly 4 bytes.
  public func u32(_ node: FDTNode, _ name: StaticString) -> UInt32? {
    guard let v = property(node, name), v.count == 4 else { return nil }
    return loadBE32(v, 0)
  }

  /// A property of 4 or 8 bytes, zero-extended.
  public func u64(_ node: FDTNode, _ name: StaticString) -> UInt64? {
    property(node, name).flatMap { FDT.u64(value: $0) }
  }

  /// A value of 4 or 8 bytes, zero-extended.
  static func u64(value v: UnsafeRawBufferPointer) -> UInt64? {
    switch v.count {
    case 4: return UInt64(loadBE32(v, 0))
    case 8: return readBE64(v, 0)
    default: return nil
    }
  }

  /// Cell `index` (32 bits) of a property; nil past its end.
  public func cell(_ node: FDTNode, _ name: StaticString, index: Int) -> UInt32? {
    property(node, name).flatMap { FDT.cell(value: $0, index: index) }
  }

  /// Cell `index` of a value; nil past its end.
  static func cell(value v: UnsafeRawBufferPointer, index: Int) -> UInt32? {
    guard index >= 0, index < v.count / 4 else { return nil }
    return loadBE32(v, index * 4)
  }

  /// Number of 32-bit cells in a property (0 if absent).
  public func cellCount(_ node: FDTNode, _ name: StaticString) -> Int {
    (property(node, name)?.count ?? 0) / 4
  }

  /// The first string of a property, without NUL; nil if absent or if the value holds no NUL.
  public func string(_ node: FDTNode, _ name: StaticString) -> UnsafeRawBufferPointer? {
    withBytes(name) { string(node, $0) }
  }

  public func string(_ node: FDTNode, _ name: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    property(node, name).flatMap { FDT.string(value: $0) }
  }

  public func stringEquals(_ node: FDTNode, _ name: StaticString, _ value: StaticString) -> Bool {
    guard let s = string(node, name) else { return false }
    return bytesEqual(s, value)
  }

  /// The first string of a value, without NUL; nil if the value holds no NUL.
  static func string(value v: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    guard let nul = indexOfNUL(v, from: 0) else { return nil }
    return slice(v, 0..<nul)
  }

  /// Calls `body` for each NUL-terminated string of a string-list property until it returns false.
  /// Trailing bytes without a NUL are ignored.
  public func forEachString(_ node: FDTNode, _ name: StaticString, _ body: (UnsafeRawBufferPointer) -> Bool) {
    guard let v = property(node, name) else { return }
    var start = 0
    while let nul = indexOfNUL(v, from: start) {
      if !body(slice(v, start..<nul)) { return }
      start = nul + 1
    }
  }

  public func stringListContains(_ node: FDTNode, _ name: StaticString, _ value: StaticString) -> Bool {
    withBytes(value) { wanted in
      var found = false
      forEachString(node, name) { s in
        found = bytesEqual(s, wanted)
        return !found
      }
      return found
    }
  }
}
