// Everything that enters the EL1 vectors. IRQs (vector kinds 1, 5, 9, 13) go to the two-phase
// interrupt entry. A synchronous exception from EL0 (kind 8) is a syscall (SVC, EC 0x15: the number
// is the SVC immediate, arguments x0-x3, result into the frame's x0) or a fault of the running NPL
// fiber, which is reported and ends that fiber only (docs/decisions/K6-el0-npls.md). Anything else
// is a kernel bug: report and stop the cell.

import RumpkABI
import RumpkArch
import RumpkKernel

@_cdecl("rumpk_exception")
public func rumpkException(_ kind: UInt64, _ frame: UnsafeMutablePointer<UInt64>) {
  if kind & 3 == 1 {
    Interrupts.handle()
    return
  }
  if kind == 8 {
    let esr = read_esr_el1()
    if esr >> 26 == 0x15 {
      let number = esr & 0xFFFF
      if number == 0x100 { UserMode.entryReturned() }  // rumpk_el0_return: the entry function returned
      let result = SyscallDispatch.dispatch(number, SyscallArgs(frame[0], frame[1], frame[2], frame[3]))
      frame[0] = UInt64(bitPattern: result)
      MMU.enterUser()
      return
    }
    userFault(esr)
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
  StatusReport.stopped(.kernelException)
  Power.off(code: StatusReport.Stop.kernelException.rawValue)
}

/// An EL0 fiber faulted: aborts (EC 0x20, 0x24), PC alignment (0x22) and watchpoints report the
/// faulting address (FAR); undefined instructions (EC 0), SP alignment (0x26), BRK (0x3C, Swift
/// traps) and any other trap report the instruction (ELR). The fiber ends, the cell goes on.
func userFault(_ esr: UInt64) -> Never {
  let ec = esr >> 26
  let elr = read_elr_el1()
  let hasFAR = ec == 0x20 || ec == 0x22 || ec == 0x24 || ec == 0x34
  Console.put("rumpk: fiber ")
  Console.dec(UInt64(bitPattern: Int64(UserMode.currentIndex)))
  Console.put(" fault at 0x")
  Console.hex(hasFAR ? read_far_el1() : elr)
  Console.put(" (ESR 0x")
  Console.hex(esr)
  Console.put(", ELR 0x")
  Console.hex(elr)
  Console.put("); fiber ended\n")
  UserMode.faulted()
}
