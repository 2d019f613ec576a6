// What the aarch64 cell learns about its machine from the device tree: console UART, RAM, the PSCI
// conduit, the GICv3 and the virtual timer's interrupt, and whether the host enabled semihosting. Nothing here is a build flag: the same image
// runs directly under QEMU and as a Rumkv cell.

import FDT

enum PSCIConduit { case hvc, smc }

struct Board {
  nonisolated(unsafe) static var uart = PL011(base: PL011.fallbackBase)
  nonisolated(unsafe) static var psci: PSCIConduit = .hvc
  nonisolated(unsafe) static var semihosting = false
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
  static func discover(candidate: UInt) -> Bool {
    var fdt: FDT? = nil
    dtbAddress = candidate != 0 ? candidate : ramStartFallback
    while true {
      fdt = try? FDT.at(UnsafeRawPointer(bitPattern: dtbAddress)!, maxSize: 1 << 20)
      if fdt != nil || dtbAddress == ramStartFallback { break }
      dtbAddress = ramStartFallback
    }
    guard let fdt else {
      // QEMU virt's GICv3, only when there is no tree at all to say otherwise.
      gicDistributor = 0x0800_0000
      gicRedistributors = 0x080A_0000
      gicRedistributorsEnd = 0x0900_0000
      return false
    }
    // One walk over the tree (FDT.walk) finds every node below; a lookup per path or compatible
    // string was a walk of its own, and each reg a further two to find the parent (0.9 M
    // instructions on QEMU virt's tree). /chosen comes with the validation; the walk resolves an
    // absolute stdout-path on the way (an alias is resolved with node(path:) afterwards).
    let chosen = fdt.chosen
    let stdoutValue = chosen.flatMap { fdt.stdoutPathValue(chosen: $0) }
    var stdoutMatch = stdoutValue.flatMap { FDTPathMatch($0) }  // nil for an alias
    var stdout: FDTNode? = nil, stdoutReg: (address: UInt64, size: UInt64)? = nil
    var psciNode: FDTNode? = nil, memoryDone = false
    var pl011Reg: (address: UInt64, size: UInt64)? = nil, pl011Done = false
    var gicDone = false, timerDone = false
    fdt.walk { n in
      if stdoutMatch?.visit(n) == true {
        stdout = n.node
        stdoutReg = fdt.reg(n, index: 0)
      }
      if n.depth == 1 {  // node(path: "/psci") etc.: the first child of the root with that name
        if psciNode == nil && FDT.nameMatches(n.name, component: "psci") { psciNode = n.node }
        if !memoryDone && FDT.nameMatches(n.name, component: "memory") {
          memoryDone = true
          if let reg = fdt.reg(n, index: 0) {
            ramStart = reg.address
            ramEnd = reg.address &+ reg.size
          }
        }
      }
      guard let compatible = n.compatible else { return true }
      if !pl011Done && FDT.listContains(compatible, "arm,pl011") {
        pl011Done = true
        pl011Reg = fdt.reg(n, index: 0)
      }
      if !gicDone && FDT.listContains(compatible, "arm,gic-v3") {
        gicDone = true
        if let d = fdt.reg(n, index: 0), let r = fdt.reg(n, index: 1) {
          gicDistributor = UInt(d.address)
          gicRedistributors = UInt(r.address)
          gicRedistributorsEnd = UInt(r.address &+ r.size)
          gicRedistributorStride = UInt(fdt.u64(n.node, "redistributor-stride") ?? 0)
        }
      }
      // interrupts = <type number flags> x4: secure, non-secure, virtual, hypervisor; type 1 = PPI.
      if !timerDone && FDT.listContains(compatible, "arm,armv8-timer") {
        timerDone = true
        if fdt.cell(n.node, "interrupts", index: 6) == 1, let ppi = fdt.cell(n.node, "interrupts", index: 7), ppi < 16 {
          timerINTID = 16 + ppi
        }
      }
      // Stop once everything is found.
      return !(pl011Done && gicDone && timerDone && memoryDone && psciNode != nil
               && (stdout != nil || stdoutMatch == nil))
    }
    // The console: the node /chosen stdout-path names, else the first PL011.
    if stdout == nil, stdoutMatch == nil, let stdoutValue, let out = fdt.node(path: stdoutValue) {
      stdout = out
      stdoutReg = fdt.reg(out, index: 0)
    }
    if stdout != nil, let reg = stdoutReg {
      uart = PL011(base: UInt(reg.address))
    } else if let reg = pl011Reg {
      uart = PL011(base: UInt(reg.address))
    }
    if let psciNode, fdt.stringEquals(psciNode, "method", "smc") {
      psci = .smc
    }
    if let chosen {
      semihosting = fdt.bootargsContains("rumpk.semihosting", chosen: chosen)
      if let seed = fdt.property(chosen, "rng-seed") { rngSeed = seed }
    }
    return true
  }
}
