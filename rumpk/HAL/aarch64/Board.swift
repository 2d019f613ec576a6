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
    if let out = fdt.stdoutPath, let reg = fdt.reg(out, index: 0) {
      uart = PL011(base: UInt(reg.address))
    } else if let node = fdt.firstCompatible("arm,pl011"), let reg = fdt.reg(node, index: 0) {
      uart = PL011(base: UInt(reg.address))
    }
    if let psciNode = fdt.node(path: "/psci"), fdt.stringEquals(psciNode, "method", "smc") {
      psci = .smc
    }
    if let memory = fdt.node(path: "/memory"), let reg = fdt.reg(memory, index: 0) {
      ramStart = reg.address
      ramEnd = reg.address &+ reg.size
    }
    if let gic = fdt.firstCompatible("arm,gic-v3"), let d = fdt.reg(gic, index: 0), let r = fdt.reg(gic, index: 1) {
      gicDistributor = UInt(d.address)
      gicRedistributors = UInt(r.address)
      gicRedistributorsEnd = UInt(r.address &+ r.size)
      gicRedistributorStride = UInt(fdt.u64(gic, "redistributor-stride") ?? 0)
    }
    // interrupts = <type number flags> x4: secure, non-secure, virtual, hypervisor; type 1 = PPI.
    if let timer = fdt.firstCompatible("arm,armv8-timer"), fdt.cell(timer, "interrupts", index: 6) == 1,
       let ppi = fdt.cell(timer, "interrupts", index: 7), ppi < 16 {
      timerINTID = 16 + ppi
    }
    semihosting = fdt.bootargsContains("rumpk.semihosting")
    if let chosen = fdt.node(path: "/chosen"), let seed = fdt.property(chosen, "rng-seed") {
      rngSeed = seed
    }
    return true
  }
}
