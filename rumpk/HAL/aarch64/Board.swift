// What the aarch64 cell learns about its machine from the device tree: console UART, RAM, the PSCI
// conduit, the GICv3 and the virtual timer's interrupt. Nothing here is a build flag: the same image
// runs directly under QEMU and as a Rumkv cell.

import FDT
import RumpkKernel

enum PSCIConduit { case hvc, smc }

struct Board {
  nonisolated(unsafe) static var uart = PL011(base: PL011.fallbackBase)
  nonisolated(unsafe) static var psci: PSCIConduit = .hvc
  nonisolated(unsafe) static var ramStart: UInt64 = 0x4000_0000
  nonisolated(unsafe) static var ramEnd: UInt64 = 0x4800_0000
  nonisolated(unsafe) static var dtbAddress: UInt = 0
  nonisolated(unsafe) static var rngSeed = UnsafeRawBufferPointer(start: nil, count: 0)
  /// GICv3 distributor and the first redistributor region (0: the cell owns no interrupt controller,
  /// as under Rumkv today; waits then poll the counter). Stride 0: frames are 128 or 256 KiB as
  /// GICR_TYPER.VLPIS says.
  nonisolated(unsafe) static var gicDistributor: UInt = 0
  nonisolated(unsafe) static var gicRedistributors: UInt = 0
  nonisolated(unsafe) static var gicRedistributorsEnd: UInt = 0
  nonisolated(unsafe) static var gicRedistributorStride: UInt = 0
  /// The EL1 virtual timer's interrupt: PPI 11 by the Arm BSA, as the /timer node confirms.
  nonisolated(unsafe) static var timerINTID: UInt32 = 27

  /// QEMU loads an ELF without passing the DTB; it puts it at the start of RAM instead.
  static let ramStartFallback: UInt = 0x4000_0000

  /// Reads the device tree at `candidate` (or the RAM-start fallback). Assumes the tree may be
  /// absent or corrupt; on any error the fallbacks stay and boot continues with a warning.
  /// Guarantees: the board statics change only from a tree that validated completely.
  static func discover(candidate: UInt) -> Bool {
    let kinds = FDTNameSet("arm,pl011\0arm,gic-v3\0arm,armv8-timer\0")  // bits: Discovery.pl011 etc.
    var found = Discovery()
    var rootChildren = FDTRootIndex()  // /chosen comes last in QEMU's tree: stdout-path is resolved after
    var fdt: FDT? = nil
    dtbAddress = candidate != 0 ? candidate : ramStartFallback
    while true {
      found = Discovery()
      rootChildren = FDTRootIndex()
      fdt = try? FDT.at(UnsafeRawPointer(bitPattern: dtbAddress)!, maxSize: 1 << 20) { fdt, n in
        rootChildren.visit(n)
        found.visit(fdt, n, kinds.matches(n.compatible ?? UnsafeRawBufferPointer(start: nil, count: 0)))
        return true
      }
      if fdt != nil || dtbAddress == ramStartFallback { break }
      dtbAddress = ramStartFallback
    }
    // Without a tree nothing but the console fallback is assumed: no interrupt controller (waits
    // poll the counter, as for a cell that owns none).
    guard let fdt else { return false }
    found.commit(fdt, rootChildren)
    return true
  }
}

/// What one validating walk over the tree (FDT.at(_:maxSize:walk:)) learns, kept aside until the
/// tree has validated to its end. A lookup per path or compatible string was a walk of its own,
/// and the validation another pass (docs/decisions/K6-el0-npls.md, boot cost).
struct Discovery {
  /// The device kinds: the bits of the names discover's FDTNameSet matches.
  static let pl011: UInt32 = 1, gicV3: UInt32 = 2, timer: UInt32 = 4
  var seen: UInt32 = 0
  var memory: (address: UInt64, size: UInt64)? = nil, memoryDone = false
  var psciNode = false, psciSMC = false
  var pl011Reg: (address: UInt64, size: UInt64)? = nil
  var gic: (distributor: UInt64, redistributors: UInt64, end: UInt64, stride: UInt64)? = nil
  var timerINTID: UInt32? = nil

  /// Takes what it needs from `n`, a node of the walk over `fdt` whose compatible has the kinds
  /// `matched` (Discovery.pl011 etc.). The first node of each kind counts.
  mutating func visit(_ fdt: FDT, _ n: FDTWalkNode, _ matched: UInt32) {
    if n.depth == 1 {  // node(path: "/psci") etc.: the first child of the root with that name
      if !psciNode && FDT.nameMatches(n.name, component: "psci") {
        psciNode = true
        psciSMC = fdt.stringEquals(n, "method", "smc")
      }
      if !memoryDone && FDT.nameMatches(n.name, component: "memory") {
        memoryDone = true
        memory = fdt.reg(n, index: 0)
      }
    }
    let kind = matched & ~seen
    if kind == 0 { return }
    seen |= kind
    if kind & Discovery.pl011 != 0 { pl011Reg = fdt.reg(n, index: 0) }
    if kind & Discovery.gicV3 != 0, let d = fdt.reg(n, index: 0), let r = fdt.reg(n, index: 1) {
      gic = (d.address, r.address, r.address &+ r.size, fdt.u64(n, "redistributor-stride") ?? 0)
    }
    // interrupts = <type number flags> x4: secure, non-secure, virtual, hypervisor; type 1 = PPI.
    if kind & Discovery.timer != 0, fdt.cell(n, "interrupts", index: 6) == 1,
      let ppi = fdt.cell(n, "interrupts", index: 7), ppi < 16 {
      timerINTID = 16 + ppi
    }
  }

  /// Sets the board from what the walk found and from /chosen: the console is the node stdout-path
  /// names, else the first PL011. Assumes `fdt` is the validated tree the walk went over and
  /// `rootChildren` was fed by it.
  func commit(_ fdt: FDT, _ rootChildren: FDTRootIndex) {
    if let memory {
      Board.ramStart = memory.address
      Board.ramEnd = memory.address &+ memory.size
    }
    if let gic {
      Board.gicDistributor = UInt(gic.distributor)
      Board.gicRedistributors = UInt(gic.redistributors)
      Board.gicRedistributorsEnd = UInt(gic.end)
      Board.gicRedistributorStride = UInt(gic.stride)
    }
    if let timerINTID { Board.timerINTID = timerINTID }
    if psciSMC { Board.psci = .smc }
    var console = pl011Reg
    if let chosen = fdt.chosen {
      if let path = fdt.stdoutPathValue(chosen: chosen), let out = rootChildren.node(path: path, in: fdt) {
        let cells = out.parent.map { (fdt.addressCells($0), fdt.sizeCells($0)) } ?? (2, 1)
        if let reg = fdt.reg(out.node, index: 0, addressCells: cells.0, sizeCells: cells.1) { console = reg }
      }
      if let args = fdt.string(chosen, "bootargs") {
        FiberSwitchBench.requested = FDT.words(args, contain: "rumpk.bench=switch")
      }
      if let seed = fdt.property(chosen, "rng-seed") { Board.rngSeed = seed }
    }
    if let console { Board.uart = PL011(base: UInt(console.address)) }
  }
}
