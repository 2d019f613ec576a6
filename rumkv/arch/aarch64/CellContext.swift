// The EL2 state that makes the CPU run a cell at EL1: stage 2 on with the cell's tables and VMID,
// SMC trapped, physical interrupts and SErrors routed to EL2 (the cell owns no interrupt controller
// yet), counters open to EL1, the cell's view of its CPU ids, and a known SCTLR_EL1 (MMU and caches
// off) for the cell's first instruction.

import RumkvCore
import RumkvSysreg

enum CellContext {
  static let hcrVM: UInt64 = 1 << 0
  static let hcrSWIO: UInt64 = 1 << 1
  static let hcrFMO: UInt64 = 1 << 3
  static let hcrIMO: UInt64 = 1 << 4
  static let hcrAMO: UInt64 = 1 << 5
  static let hcrTSC: UInt64 = 1 << 19
  static let hcrRW: UInt64 = 1 << 31
  static let hcr = hcrVM | hcrSWIO | hcrFMO | hcrIMO | hcrAMO | hcrTSC | hcrRW
  static let sctlrEL1Safe: UInt64 = 0x30D0_0800  // RES1 bits; M, C, I off

  /// Loads the EL2 registers for `cell` with stage-2 tables at `root`. Assumes this CPU is one of
  /// the cell's; guarantees the TLBs hold nothing stale for the VMID.
  static func load(_ cell: Cell, root: UInt64) {
    let vmid = UInt64(cell.id + 1) & 0xFF  // cortex-a72 has 8-bit VMIDs
    write_vtcr_el2(Stage2.vtcr)
    write_vttbr_el2(vmid << 48 | root)
    write_cnthctl_el2(0b11)      // EL1PCTEN | EL1PCEN: physical counter and timer usable at EL1
    write_cntvoff_el2(0)
    write_vpidr_el2(read_midr_el1())
    write_vmpidr_el2(read_mpidr_el1())
    write_sctlr_el1(sctlrEL1Safe)
    write_hcr_el2(hcr)
    rumkv_isb()
    rumkv_tlbi_vmalls12e1is()
  }
}
