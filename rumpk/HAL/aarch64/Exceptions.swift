// Everything that enters the EL1 vectors. IRQs (vector kinds 1, 5, 9, 13) go to the two-phase
// interrupt entry. Anything else is, until user mode arrives, a kernel bug or a bad NPL pointer the
// kernel followed: report and stop the cell.

import RumpkArch
import RumpkKernel

@_cdecl("rumpk_exception")
public func rumpkException(_ kind: UInt64, _ frame: UnsafeMutablePointer<UInt64>) {
  if kind & 3 == 1 {
    Interrupts.handle()
    return
  }
  Console.put("rumpk: exception ")
  Console.dec(kind)
  Console.put(" ESR 0x")
  Console.hex(read_esr_el1())
  Console.put(" ELR 0x")
  Console.hex(read_elr_el1())
  Console.put(" FAR 0x")
  Console.hex(read_far_el1())
  Console.put(" LR 0x")
  Console.hex(frame[30])
  Console.put("\n")
  Power.off(code: 71)
}
