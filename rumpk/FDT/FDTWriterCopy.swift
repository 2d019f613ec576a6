// Copying parts of an existing tree into a blob being written: how the hypervisor passes a cell the
// devices and properties of the board tree it owns.

extension FDTWriter {
  /// Copies property `name` of `node` in `source` into the open node. Throws .notFound if absent.
  public mutating func copyProperty(from source: FDT, node: FDTNode, name: StaticString) throws(FDTError) {
    guard let value = source.property(node, name) else { throw .notFound }
    try withBytesThrowing(name) { (n) throws(FDTError) in try property(n, bytes: value) }
  }

  /// Copies every property of `node` in `source` (not its children) into the open node.
  public mutating func copyProperties(from source: FDT, node: FDTNode) throws(FDTError) {
    guard var offset = source.bodyOffset(node) else { throw .notFound }
    while let t = source.token(at: offset) {
      switch t.token {
      case .property(let nameOffset, let value):
        guard let name = try? source.stringRange(at: nameOffset) else { return }
        try property(slice(source.stringsBlock, name), bytes: slice(source.structBlock, value))
      case .nop:
        break
      case .beginNode, .endNode, .end:
        return
      }
      offset = t.next
    }
  }

  /// Copies `node` of `source`, with its properties and all descendants, as a child of the open node
  /// (or as the root, if `node` is the source's root and nothing has been written yet).
  /// Bounded by the source's structure block.
  public mutating func copySubtree(from source: FDT, node: FDTNode) throws(FDTError) {
    guard source.bodyOffset(node) != nil else { throw .notFound }
    var offset = node.offset
    var level = 0
    repeat {
      guard let t = source.token(at: offset) else { throw .badStructure }
      switch t.token {
      case .beginNode(let name):
        try beginNode(slice(source.structBlock, name))
        level += 1
      case .endNode:
        try endNode()
        level -= 1
      case .property(let nameOffset, let value):
        guard let name = try? source.stringRange(at: nameOffset) else { throw .badStructure }
        try property(slice(source.stringsBlock, name), bytes: slice(source.structBlock, value))
      case .nop:
        break
      case .end:
        throw .badStructure
      }
      offset = t.next
    } while level > 0
  }
}
