// Everything that enters the S-mode trap vector (trap.S). Interrupts (scause bit 63) go to the
// two-phase interrupt entry. Anything else is, until user mode arrives, a kernel bug or a bad NPL
// pointer the kernel followed: report and stop the cell (code 71, as on aarch64). The one
// exception: an illegal instruction while Interrupts probes a CSR is skipped and noted.

import RumpkArch
import RumpkKernel

@_cdecl("rumpk_trap")
public func rumpkTrap(_ cause: UInt64, _ frame: UnsafeMutablePointer<UInt64>) {
  if cause >> 63 != 0 {
    Interrupts.handle(cause & ~(1 << 63))
    return
  }
  if cause == 2 && Interrupts.probing {
    Interrupts.probeFaulted = true
    frame[16] &+= 4  // sepc: past the 4-byte csrr
    return
  }
  Console.put("rumpk: exception ")
  Console.dec(cause)
  Console.put(" SCAUSE 0x")
  Console.hex(cause)
  Console.put(" SEPC 0x")
  Console.hex(frame[16])
  Console.put(" STVAL 0x")
  Console.hex(read_stval())
  Console.put(" RA 0x")
  Console.hex(frame[0])
  Console.put("\n")
  Power.off(code: 71)
}
