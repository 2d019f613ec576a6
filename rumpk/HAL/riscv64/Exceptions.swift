// Everything that enters the S-mode trap vector (trap.S). Interrupts (scause bit 63) go to the
// two-phase interrupt entry, from S-mode (the idle wait) or from U-mode (an NPL was running: the
// event waits for the scheduler, the NPL resumes). An ecall from U-mode (scause 8) is a syscall and
// never gets to rumpk_trap: the trap entry sends it straight to rumpk_syscall (number a7, arguments
// a0-a3, result a0). Any other exception from U-mode (saved sstatus.SPP = 0) is a fault of the running NPL fiber,
// which is reported and ends that fiber only (docs/decisions/K6-el0-npls.md). An exception in
// S-mode is a kernel bug: report and stop the cell (code 71, as on aarch64). The one exception: an
// illegal instruction while Interrupts probes a CSR is skipped and noted.

import RumpkABI
import RumpkArch
import RumpkKernel

@_cdecl("rumpk_trap")
public func rumpkTrap(_ cause: UInt64, _ frame: UnsafeMutablePointer<UInt64>) {
  let fromUser = frame[17] & (1 << 8) == 0  // sstatus.SPP
  if cause >> 63 != 0 {
    Interrupts.handle(cause & ~(1 << 63))
    if fromUser { MMU.enterUser() }
    return
  }
  if fromUser { userFault(cause, frame) }  // an ecall from U-mode never gets here: rumpk_syscall
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
  StatusReport.stopped(.kernelException)
  Power.off(code: StatusReport.Stop.kernelException.rawValue)
}

/// A syscall from U-mode (an ecall, scause 8), straight from the trap entry (trap.S) with the
/// caller's argument registers a0-a3 and the number (a7) as the fifth argument; the result goes back
/// in a0. No frame, no scause decode: the entry checked scause itself.
@_cdecl("rumpk_syscall")
public func rumpkSyscall(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ number: UInt64) -> Int64 {
  if number >= 12 {
    if number == 0x100 { UserMode.entryReturned() }  // rumpk_user_return: the entry function returned
    MMU.enterUser()
    return Errno.einval.rawValue
  }
  let result = SyscallDispatch.dispatchOutlined(number, SyscallArgs(a0, a1, a2, a3))
  MMU.enterUser()
  return result
}

/// A U-mode fiber faulted: misaligned, access and page faults (scause 0, 1, 4-7, 12, 13, 15) report
/// the faulting address (stval); an illegal instruction (2, also Swift traps: `unimp`), ebreak (3)
/// and anything else report the instruction (sepc). The fiber ends, the cell goes on.
func userFault(_ cause: UInt64, _ frame: UnsafeMutablePointer<UInt64>) -> Never {
  let sepc = frame[16]
  let stval = read_stval()
  let hasAddress = cause <= 1 || (cause >= 4 && cause <= 7) || cause == 12 || cause == 13 || cause == 15
  Console.put("rumpk: fiber ")
  Console.dec(UInt64(bitPattern: Int64(UserMode.currentIndex)))
  Console.put(" fault at 0x")
  Console.hex(hasAddress ? stval : sepc)
  Console.put(" (SCAUSE 0x")
  Console.hex(cause)
  Console.put(", SEPC 0x")
  Console.hex(sepc)
  Console.put("); fiber ended\n")
  UserMode.faulted()
}
