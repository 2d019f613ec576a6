// Synchronous exceptions and faults at EL1. Until interrupts and user mode arrive, anything that
// lands here is a kernel bug or a bad NPL pointer the kernel followed: report and stop the cell.

import RumpkArch
import RumpkKernel

@_cdecl("rumpk_exception")
public func rumpkException(_ kind: UInt64, _ frame: UnsafeMutablePointer<UInt64>) {
  let esr = read_esr_el1()
  Console.write("rumpk: exception \(kind) ESR 0x\(CellBoot.hex(esr)) ELR 0x\(CellBoot.hex(read_elr_el1())) FAR 0x\(CellBoot.hex(read_far_el1())) LR 0x\(CellBoot.hex(frame[30]))\n")
  Power.off(code: 71)
}
