// libFuzzer target: the device-tree reader (rumpk/FDT) on any bytes. A blob the validating walk
// accepts is then read the way the kernel and Rumkv read trees, every accessor on every node, and
// the reader's own promises are checked: FDT.at agrees with init, the root index and a path match
// during the walk find what node(path:) finds, and a subtree copy of a valid tree is valid again.
// A crash, an address-sanitizer report or a broken promise (a trap) is a finding.

import FDT

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when the reader breaks one of its documented promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFDT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let blob = UnsafeRawBufferPointer(start: data, count: size)
  var index = FDTRootIndex()
  var walked = 0
  let fdt: FDT
  do throws(FDTError) {
    fdt = try FDT(blob) { _, n in
      index.visit(n)
      walked &+= 1
      return true
    }
  } catch {
    if let base = blob.baseAddress, let again = try? FDT.at(base, maxSize: size) {
      fatalError("FDT.at accepted a blob init(_:walk:) refused (\(error)), totalsize \(again.totalSize)")
    }
    return 0
  }
  if let base = blob.baseAddress {
    guard let again = try? FDT.at(base, maxSize: size), again.totalSize == fdt.totalSize else {
      fatalError("FDT.at refused a blob init(_:walk:) accepted")
    }
  }
  readEverything(fdt, walkedNodes: walked)
  checkPathLookups(fdt, index: index)
  checkSubtreeCopy(fdt)
  return 0
}

/// Checks that walk the tree once per node run on this many nodes only (QEMU's tree has ~100).
let quadraticChecks = 24

/// Assumes `fdt` was validated. Calls every read accessor on every node and the tree-wide lookups;
/// guarantees nothing but that they return (their results are folded into a sink so none is skipped).
func readEverything(_ fdt: FDT, walkedNodes: Int) {
  var sink: UInt64 = 0
  var nodes = 0
  fdt.forEachNodeWithParent { node, parent, depth in
    nodes &+= 1
    sink &+= UInt64(fdt.name(of: node).count &+ fdt.baseName(of: node).count &+ depth)
    if nodes <= quadraticChecks {
      if fdt.parent(of: node) != parent { fatalError("parent(of:) disagrees with forEachNodeWithParent") }
      if fdt.depth(of: node) != depth { fatalError("depth(of:) disagrees with forEachNodeWithParent") }
    }
    fdt.forEachProperty(of: node) { p in
      sink &+= UInt64(p.name.count &+ p.value.count)
      if fdt.property(node, p.name) == nil { fatalError("property(_:_:) misses a property forEachProperty saw") }
      return true
    }
    let cells = fdt.regCells(node)
    sink &+= UInt64(truncatingIfNeeded: cells.addressCells &+ cells.sizeCells)
    let regs = fdt.regCount(node)
    for i in 0..<min(regs, 64) {
      if let r = fdt.reg(node, index: i) { sink &+= r.address &+ r.size }
    }
    _ = fdt.reg(node, index: regs)
    _ = fdt.reg(node, index: -1)
    for i in 0..<4 { sink &+= UInt64(fdt.interrupts(node, index: i) ?? 0) }
    sink &+= UInt64(fdt.u32(node, "phandle") ?? 0) &+ (fdt.u64(node, "clock-frequency") ?? 0)
    sink &+= UInt64(fdt.cellCount(node, "interrupts") &+ fdt.addressCells(node) &+ fdt.sizeCells(node))
    sink &+= UInt64(fdt.string(node, "status")?.count ?? 0)
    fdt.forEachString(node, "compatible") { s in
      sink &+= UInt64(s.count)
      return true
    }
    if let list = fdt.property(node, "compatible") {
      sink &+= UInt64(FDTNameSet("arm,pl011\0virtio,mmio\0ns16550a\0arm,gic-v3\0").matches(list))
    }
    sink &+= fdt.isCompatible(node, "arm,pl011") ? 1 : 0
    sink &+= fdt.stringListContains(node, "compatible", "virtio,mmio") ? 1 : 0
    sink &+= fdt.stringEquals(node, "device_type", "memory") ? 1 : 0
    if let phandle = fdt.u32(node, "phandle"), fdt.node(phandle: phandle) == nil {
      fatalError("node(phandle:) misses a node whose phandle property is there")
    }
    return true
  }
  if nodes != walkedNodes { fatalError("the validating walk saw \(walkedNodes) nodes, forEachNode \(nodes)") }
  fdt.walk { n in
    sink &+= UInt64(n.name.count &+ n.depth &+ n.addressCells &+ n.sizeCells)
    sink &+= fdt.reg(n, index: 0)?.address ?? 0
    sink &+= UInt64(fdt.cell(n, "interrupts", index: 1) ?? 0) &+ (fdt.u64(n, "reg") ?? 0)
    sink &+= fdt.isCompatible(n, "arm,pl011") ? 1 : 0
    sink &+= fdt.stringEquals(n, "device_type", "cpu") ? 1 : 0
    sink &+= UInt64(fdt.property(n, "compatible")?.count ?? 0)
    return true
  }
  fdt.forEachMemoryRegion { address, size in
    sink &+= address &+ size
    return true
  }
  for i in 0..<min(fdt.reservationCount, 64) { sink &+= fdt.reservation(i)?.size ?? 0 }
  _ = fdt.reservation(fdt.reservationCount)
  if let chosen = fdt.chosen {
    sink &+= UInt64(fdt.stdoutPathValue(chosen: chosen)?.count ?? 0)
    sink &+= fdt.bootargsContains("rumkv.semihosting", chosen: chosen) ? 1 : 0
  }
  sink &+= UInt64(fdt.stdoutPath?.offset ?? 0) &+ UInt64(fdt.stdoutOptions?.count ?? 0)
  sink &+= UInt64(fdt.bootargs?.count ?? 0) &+ (fdt.initrd?.end ?? 0)
  sink &+= UInt64(fdt.countCompatible("virtio,mmio") &+ (fdt.firstCompatible("arm,pl011")?.offset ?? 0))
  if let args = fdt.bootargs { sink &+= FDT.words(args, contain: "rumpk.bench=switch") ? 1 : 0 }
  if sink == 0x5EED_5EED_5EED_5EED { print("sink") }
}

/// Assumes `fdt` was validated and `index` was fed by its validating walk. Guarantees that the
/// root index and a path match made during a walk find what node(path:) finds, for the paths the
/// tree itself names (stdout-path, every alias, the full paths of the first nodes, a few fixed ones).
func checkPathLookups(_ fdt: FDT, index: FDTRootIndex) {
  func check(_ path: UnsafeRawBufferPointer) {
    let direct = fdt.node(path: path)
    let indexed = index.node(path: path, in: fdt)
    if indexed?.node != direct { fatalError("FDTRootIndex.node(path:) disagrees with node(path:)") }
    if let indexed, fdt.parent(of: indexed.node) != indexed.parent {
      fatalError("FDTRootIndex.node(path:) returned a wrong parent")
    }
    guard var match = FDTPathMatch(path) else { return }
    fdt.walk { n in !match.visit(n) }
    if match.node != direct { fatalError("FDTPathMatch disagrees with node(path:)") }
  }
  if let chosen = fdt.chosen, let stdout = fdt.stdoutPathValue(chosen: chosen) { check(stdout) }
  if let aliases = fdt.node(path: "/aliases") {
    fdt.forEachProperty(of: aliases) { p in
      check(p.name)
      if let value = fdt.string(aliases, p.name) { check(value) }
      return true
    }
  }
  // The full path of the first nodes, built from the names the walk reports (up to 512 bytes).
  var path = [UInt8](repeating: 0, count: 512)
  var ends = [Int](repeating: 0, count: FDT.maxDepth + 1)
  var checked = 0
  fdt.walk { n in
    guard n.depth > 0, n.depth <= FDT.maxDepth else { return true }
    checked += 1
    if checked > quadraticChecks { return false }
    let start = ends[n.depth - 1]
    guard start + 1 + n.name.count <= path.count else { return true }
    path[start] = UInt8(ascii: "/")
    for i in 0..<n.name.count { path[start + 1 + i] = n.name[i] }
    ends[n.depth] = start + 1 + n.name.count
    path.withUnsafeBytes { check(UnsafeRawBufferPointer(rebasing: $0[0..<ends[n.depth]])) }
    return true
  }
  for p: StaticString in ["/", "/chosen", "/cpus", "/memory", "/aliases", "//", "/nosuch", "serial0"] {
    p.withUTF8Buffer { check(UnsafeRawBufferPointer($0)) }
  }
}

/// Assumes `fdt` was validated. Guarantees that copying the whole tree with FDTWriter either
/// fails with a writer error or yields a blob the reader accepts with the same number of nodes.
func checkSubtreeCopy(_ fdt: FDT) {
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: fdt.totalSize * 2 + 4096, alignment: 8)
  defer { buffer.deallocate() }
  var w = FDTWriter(buffer: buffer)
  let size: Int
  do throws(FDTError) {
    try w.copySubtree(from: fdt, node: fdt.root)
    size = try w.finish()
  } catch {
    return
  }
  let copy: FDT
  do throws(FDTError) {
    copy = try FDT(UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
  } catch {
    fatalError("a copy of a valid tree is invalid: \(error)")
  }
  var before = 0, after = 0
  fdt.forEachNode { _, _ in before += 1; return true }
  copy.forEachNode { _, _ in after += 1; return true }
  if before != after { fatalError("the copy has \(after) nodes, the tree \(before)") }
}
