// Address decoding: #address-cells / #size-cells, "reg" entries, "interrupts" cells and the memory
// nodes. Addresses wider than 64 bits (e.g. PCI's 3 cells) are not decoded: reg returns nil.

extension FDT {
  /// The node's #address-cells, for its children's reg (spec default 2).
  public func addressCells(_ node: FDTNode) -> Int {
    u32(node, "#address-cells").map { Int(truncatingIfNeeded: $0) } ?? 2
  }

  /// The node's #size-cells, for its children's reg (spec default 1).
  public func sizeCells(_ node: FDTNode) -> Int {
    u32(node, "#size-cells").map { Int(truncatingIfNeeded: $0) } ?? 1
  }

  /// Cell counts that govern `node`'s reg: its parent's, or the defaults for the root.
  public func regCells(_ node: FDTNode) -> (addressCells: Int, sizeCells: Int) {
    guard let p = parent(of: node) else { return (2, 1) }
    return (addressCells(p), sizeCells(p))
  }

  /// Number of (address, size) entries in `node`'s reg; 0 if absent or undecodable.
  public func regCount(_ node: FDTNode) -> Int {
    let c = regCells(node)
    return regCount(node, addressCells: c.addressCells, sizeCells: c.sizeCells)
  }

  public func regCount(_ node: FDTNode, addressCells: Int, sizeCells: Int) -> Int {
    guard let v = property(node, "reg") else { return 0 }
    return FDT.regCount(v, addressCells: addressCells, sizeCells: sizeCells)
  }

  static func regCount(_ v: UnsafeRawBufferPointer, addressCells: Int, sizeCells: Int) -> Int {
    guard (0...2).contains(addressCells), (0...2).contains(sizeCells), addressCells + sizeCells > 0 else { return 0 }
    return v.count / ((addressCells + sizeCells) * 4)
  }

  /// Entry `index` of `node`'s reg, decoded with the parent's #address-cells / #size-cells (each
  /// must be 0...2). Walks the tree to find the parent; use the overload below when it is known.
  public func reg(_ node: FDTNode, index: Int) -> (address: UInt64, size: UInt64)? {
    let c = regCells(node)
    return reg(node, index: index, addressCells: c.addressCells, sizeCells: c.sizeCells)
  }

  public func reg(
    _ node: FDTNode, index: Int, addressCells: Int, sizeCells: Int
  ) -> (address: UInt64, size: UInt64)? {
    guard index >= 0, let v = property(node, "reg") else { return nil }
    return FDT.reg(v, index: index, addressCells: addressCells, sizeCells: sizeCells)
  }

  /// Entry `index` of a reg value.
  static func reg(
    _ v: UnsafeRawBufferPointer, index: Int, addressCells: Int, sizeCells: Int
  ) -> (address: UInt64, size: UInt64)? {
    guard index >= 0, index < FDT.regCount(v, addressCells: addressCells, sizeCells: sizeCells) else { return nil }
    let entry = index * (addressCells + sizeCells) * 4
    guard let address = readCells(v, entry, cells: addressCells),
      let size = readCells(v, entry + addressCells * 4, cells: sizeCells)
    else { return nil }
    return (address, size)
  }

  /// Raw cell `index` of `node`'s "interrupts"; how cells group into specifiers depends on the
  /// interrupt parent's #interrupt-cells.
  public func interrupts(_ node: FDTNode, index: Int) -> UInt32? {
    cell(node, "interrupts", index: index)
  }

  /// Calls `body` with each reg entry of each child of the root whose device_type is "memory",
  /// until it returns false.
  public func forEachMemoryRegion(_ body: (_ address: UInt64, _ size: UInt64) -> Bool) {
    let top = root
    let ac = addressCells(top)
    let sc = sizeCells(top)
    forEachChild(of: top) { n in
      guard stringEquals(n, "device_type", "memory") else { return true }
      let count = regCount(n, addressCells: ac, sizeCells: sc)
      var i = 0
      while i < count {
        if let r = reg(n, index: i, addressCells: ac, sizeCells: sc), !body(r.address, r.size) { return false }
        i += 1
      }
      return true
    }
  }
}
