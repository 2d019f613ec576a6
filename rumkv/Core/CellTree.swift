// The device tree a cell boots with, written into its window: only what the cell owns. The root's
// cell sizes and compatible come from the board; /memory is the window alone; /cpus holds the cell's
// CPUs (properties copied from the board's cpu nodes); /chosen names the console UART when the cell
// owns it, and that UART node and the clocks it references are copied from the board. The
// architecture adds its own nodes (aarch64: /psci with the hvc conduit, the timer).

import FDT

public enum CellTree {
  /// Space reserved at the window base for the cell tree; cell images must be linked above it.
  public static let reservedSize: UInt64 = 64 << 10

  /// Writes the tree into `buffer`; returns its size. `arch` adds architecture nodes under the root.
  public static func write(
    into buffer: UnsafeMutableRawBufferPointer, board: BoardDescription, cell: Cell,
    arch: (inout FDTWriter) throws(FDTError) -> Void
  ) throws(FDTError) -> Int {
    let fdt = board.fdt
    let root = fdt.root
    let ac = fdt.addressCells(root), sc = fdt.sizeCells(root)
    var w = FDTWriter(buffer: buffer)
    w.bootCPUID = UInt32(truncatingIfNeeded: cell.cpus.trailingZeroBitCount)
    try w.beginNode("")
    try w.propertyU32("#address-cells", UInt32(ac))
    try w.propertyU32("#size-cells", UInt32(sc))
    if fdt.hasProperty(root, "compatible") { try w.copyProperty(from: fdt, node: root, name: "compatible") }
    try w.propertyString("model", "rumkv cell")

    try w.beginNode("memory", unitAddress: cell.window.base)
    try w.propertyString("device_type", "memory")
    try w.propertyReg(address: cell.window.base, size: cell.window.size, addressCells: ac, sizeCells: sc)
    try w.endNode()

    try w.beginNode("chosen")
    if cell.devices.contains(.uart), let uart = board.uartNode {
      let name = fdt.name(of: uart)
      var path: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
      guard name.count < MemoryLayout.size(ofValue: path) else { throw .noSpace }
      try withUnsafeMutableBytes(of: &path) { (p) throws(FDTError) in
        p[0] = UInt8(ascii: "/")
        for i in 0..<name.count { p[1 + i] = name[i] }
        try w.propertyString("stdout-path", bytes: UnsafeRawBufferPointer(rebasing: p[0..<(1 + name.count)]))
      }
    }
    try w.endNode()

    try w.beginNode("cpus")
    try w.propertyU32("#address-cells", 1)
    try w.propertyU32("#size-cells", 0)
    for cpu in 0..<64 where cell.cpus & (1 << UInt64(cpu)) != 0 {
      try w.beginNode("cpu", unitAddress: UInt64(cpu))
      if let source = board.cpuNode(UInt64(cpu)) {
        try w.copyProperties(from: fdt, node: source)
      } else {
        try w.propertyString("device_type", "cpu")
        try w.propertyU32("reg", UInt32(cpu))
      }
      try w.endNode()
    }
    try w.endNode()

    if cell.devices.contains(.uart), let uart = board.uartNode {
      try w.copySubtree(from: fdt, node: uart)
      try copyClocks(of: uart, from: fdt, into: &w)
    }

    try arch(&w)
    try w.endNode()
    return try w.finish()
  }

  /// Copies the nodes that `node`'s "clocks" phandles name (once each; up to 4 distinct clocks; stops at the first
  /// entry it cannot decode),
  /// so the copied device keeps its clock description.
  static func copyClocks(of node: FDTNode, from fdt: FDT, into w: inout FDTWriter) throws(FDTError) {
    var copied: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    var n = 0
    let count = fdt.cellCount(node, "clocks")
    var i = 0
    while i < count {
      guard let phandle = fdt.cell(node, "clocks", index: i), let clock = fdt.node(phandle: phandle),
            let cells = fdt.u32(clock, "#clock-cells"), cells < 8 else { return }
      i += 1 + Int(cells)  // the phandle and its specifier
      var seen = false
      withUnsafeBytes(of: copied) { raw in
        for k in 0..<n where raw.load(fromByteOffset: k * 4, as: UInt32.self) == phandle { seen = true }
      }
      if seen || n == 4 { continue }
      withUnsafeMutableBytes(of: &copied) { $0.storeBytes(of: phandle, toByteOffset: n * 4, as: UInt32.self) }
      n += 1
      try w.copySubtree(from: fdt, node: clock)
    }
  }
}
