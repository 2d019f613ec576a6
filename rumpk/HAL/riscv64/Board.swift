// What the riscv64 cell learns from its device tree: console UART, RAM, timebase, the test device
// that carries an exit code to QEMU, the PLIC and the boot hart's S-mode context on it, and whether
// the boot hart has Sstc (stimecmp). Same image directly under OpenSBI or as a Rumkv cell.

import FDT
import RumpkKernel

struct Board {
  nonisolated(unsafe) static var uart = UART16550(base: UART16550.fallbackBase)
  nonisolated(unsafe) static var ramStart: UInt64 = 0x8000_0000
  nonisolated(unsafe) static var ramEnd: UInt64 = 0x8800_0000
  nonisolated(unsafe) static var timebase: UInt64 = 10_000_000
  nonisolated(unsafe) static var testDevice: UInt = 0
  nonisolated(unsafe) static var rngSeed = UnsafeRawBufferPointer(start: nil, count: 0)
  /// PLIC base (0: none in the tree), the boot hart's S-mode external-interrupt context on it, and
  /// how many sources it has (riscv,ndev).
  nonisolated(unsafe) static var plic: UInt = 0
  nonisolated(unsafe) static var plicContext: UInt32 = 0
  nonisolated(unsafe) static var plicSources: UInt32 = 0
  /// The boot hart's riscv,isa (or riscv,isa-extensions) names Sstc. M-mode must also have set
  /// menvcfg.STCE; Interrupts probes that before trusting it.
  nonisolated(unsafe) static var sstc = false

  /// Reads the device tree at `address`. On any error the fallbacks stay and boot goes on.
  /// Guarantees: the board statics change only from a tree that validated completely. One pass
  /// validates the tree and reports its nodes (FDT.at(_:maxSize:walk:)); what they say is kept in a
  /// RiscvDiscovery until the pass has reached the end (the aarch64 board does the same).
  static func discover(address: UInt, hart: UInt) -> Bool {
    guard address != 0 else { return false }
    let kinds = FDTNameSet("sifive,test1\0sifive,test0\0riscv,plic0\0sifive,plic-1.0.0\0riscv,cpu-intc\0")
    var found = RiscvDiscovery(hart: UInt64(hart))
    var rootChildren = FDTRootIndex()  // /chosen comes last in QEMU's tree: stdout-path is resolved after
    guard let fdt = try? FDT.at(UnsafeRawPointer(bitPattern: address)!, maxSize: 1 << 20, walk: { fdt, n in
      rootChildren.visit(n)
      found.visit(fdt, n, kinds.matches(n.compatible ?? UnsafeRawBufferPointer(start: nil, count: 0)))
      return true
    }) else { return false }
    found.commit(fdt, rootChildren)
    return true
  }

  /// The boot hart's Sstc support; then the PLIC context whose interrupts-extended entry is (the
  /// hart's interrupt controller phandle, 9 = S-mode external). OpenSBI rewrites the M-mode entries
  /// to -1, which no search here matches.
  static func discoverInterrupts(_ fdt: FDT, cpu: FDTNode, intc: UInt32?, plic node: FDTNode?,
                                 plicReg: (address: UInt64, size: UInt64)?) {
    sstc = fdt.stringListContains(cpu, "riscv,isa-extensions", "sstc")
    if !sstc, let isa = fdt.string(cpu, "riscv,isa") { sstc = isaHasExtension(isa, "sstc") }
    guard let intc, let node, let reg = plicReg,
          let pairs = fdt.property(node, "interrupts-extended") else { return }
    // (phandle, irq) pairs of big-endian cells: a riscv,cpu-intc has #interrupt-cells = 1.
    func cell(_ i: Int) -> UInt32 {
      UInt32(pairs[4 * i]) << 24 | UInt32(pairs[4 * i + 1]) << 16 | UInt32(pairs[4 * i + 2]) << 8 | UInt32(pairs[4 * i + 3])
    }
    var i = 0
    while 4 * (i + 2) <= pairs.count {
      if cell(i) == intc && cell(i + 1) == 9 {
        plic = UInt(reg.address)
        plicContext = UInt32(i / 2)
        plicSources = min(fdt.u32(node, "riscv,ndev") ?? 31, 1023)
        return
      }
      i += 2
    }
  }

  /// True when the ISA string (e.g. "rv64imafdch_zicsr_sstc") lists the multi-letter extension
  /// `name` (lowercase) as one of its underscore-separated parts. Case-insensitive.
  static func isaHasExtension(_ isa: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
    var start = 0
    while start <= isa.count {
      var end = start
      while end < isa.count && isa[end] != UInt8(ascii: "_") { end += 1 }
      if end - start == name.utf8CodeUnitCount {
        var same = true
        for k in 0..<(end - start) where isa[start + k] | 0x20 != name.utf8Start[k] { same = false }
        if same { return true }
      }
      start = end + 1
    }
    return false
  }
}

/// What the validating walk learns, kept aside until the tree has validated to its end.
struct RiscvDiscovery {
  /// The bits of discover's FDTNameSet.
  static let test: UInt32 = 1 | 2, plic: UInt32 = 4 | 8, intc: UInt32 = 16
  let hart: UInt64
  var memory: (address: UInt64, size: UInt64)? = nil, memoryDone = false
  var cpus: FDTNode? = nil, cpu: FDTNode? = nil, intc: UInt32? = nil
  var testReg: (address: UInt64, size: UInt64)? = nil, testDone = false
  var plic: FDTNode? = nil, plicReg: (address: UInt64, size: UInt64)? = nil

  init(hart: UInt64) { self.hart = hart }

  /// Takes what it needs from `n`, whose compatible has the kinds `matched`: /memory and /cpus (the
  /// first root children of those names), the boot hart's /cpus child (reg = hart id) and its
  /// interrupt controller's phandle, the first test device and the first PLIC.
  mutating func visit(_ fdt: FDT, _ n: FDTWalkNode, _ matched: UInt32) {
    if n.depth == 1 {
      if !memoryDone && FDT.nameMatches(n.name, component: "memory") {
        memoryDone = true
        memory = fdt.reg(n, index: 0)
      }
      if cpus == nil && FDT.nameMatches(n.name, component: "cpus") { cpus = n.node }
    }
    if cpu == nil, let cpus, n.parent == cpus, fdt.reg(n, index: 0)?.address == hart,
       fdt.stringEquals(n, "device_type", "cpu") {
      cpu = n.node
    }
    if matched == 0 { return }
    if intc == nil, matched & RiscvDiscovery.intc != 0, let cpu, n.parent == cpu {
      intc = fdt.u32(n.node, "phandle") ?? fdt.u32(n.node, "linux,phandle")
    }
    if !testDone && matched & RiscvDiscovery.test != 0 {
      testDone = true
      testReg = fdt.reg(n, index: 0)
    }
    if plic == nil && matched & RiscvDiscovery.plic != 0 {
      plic = n.node
      plicReg = fdt.reg(n, index: 0)
    }
  }

  /// Sets the board from what the walk found and from /chosen (console, boot arguments, seed).
  /// Assumes `fdt` is the validated tree the walk went over and `rootChildren` was fed by it.
  func commit(_ fdt: FDT, _ rootChildren: FDTRootIndex) {
    if let memory {
      Board.ramStart = memory.address
      Board.ramEnd = memory.address &+ memory.size
    }
    if let chosen = fdt.chosen {
      if let path = fdt.stdoutPathValue(chosen: chosen), let out = rootChildren.node(path: path, in: fdt) {
        let cells = out.parent.map { (fdt.addressCells($0), fdt.sizeCells($0)) } ?? (2, 1)
        if let reg = fdt.reg(out.node, index: 0, addressCells: cells.0, sizeCells: cells.1) {
          Board.uart = UART16550(base: UInt(reg.address), regShift: UInt(fdt.u32(out.node, "reg-shift") ?? 0))
        }
      }
      if let args = fdt.string(chosen, "bootargs") {
        FiberSwitchBench.requested = FDT.words(args, contain: "rumpk.bench=switch")
      }
      if let seed = fdt.property(chosen, "rng-seed") { Board.rngSeed = seed }
    }
    if let cpus, let tb = fdt.u32(cpus, "timebase-frequency"), tb != 0 { Board.timebase = UInt64(tb) }
    if let testReg { Board.testDevice = UInt(testReg.address) }
    if let cpu { Board.discoverInterrupts(fdt, cpu: cpu, intc: intc, plic: plic, plicReg: plicReg) }
  }
}
