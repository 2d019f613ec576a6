// What reaches Rumkv through the vectors: the cell's hvc and smc calls (PSCI and Rumkv hypercalls),
// its stage-2 faults, and everything unexpected. A cell can make Rumkv stop the node (fault,
// unexpected trap) but never make it misbehave: arguments are checked, unknown calls answer an error.

import RumkvCore
import RumkvSysreg

enum TrapKind {
  static let cellSync: UInt64 = 0, cellIRQ: UInt64 = 1, cellFIQ: UInt64 = 2, cellSError: UInt64 = 3
  static let aarch32: UInt64 = 8
}

/// Exception classes (ESR_EL2.EC) Rumkv handles.
enum ExceptionClass {
  static let hvc64: UInt64 = 0x16
  static let smc64: UInt64 = 0x17
  static let instructionAbortLower: UInt64 = 0x20
  static let dataAbortLower: UInt64 = 0x24
}

/// Called by vectors.S with the saved frame; returning resumes the interrupted cell.
@_cdecl("rumkv_trap")
func rumkvTrap(_ slots: UnsafeMutablePointer<UInt64>, _ kind: UInt64) {
  let frame = TrapFrame(slots: slots)
  let esr = read_esr_el2()
  guard kind <= TrapKind.cellSError else { rumkvException(frame, kind, esr) }
  let cell = Machine.running
  guard kind == TrapKind.cellSync else {
    cell.begin()
    Console.put(kind == TrapKind.cellSError ? "SError" : "unexpected interrupt")
    Console.put(" (ESR ")
    Console.hex(esr)
    Console.put(", PC ")
    Console.hex(frame.pc)
    Console.put(")")
    Console.end()
    Management.cell(cell, "fault", detail: true)
    Power.off(code: ExitCode.unexpectedTrap)
  }

  let ec = (esr >> 26) & 0x3F
  switch ec {
  case ExceptionClass.hvc64:
    // ELR already points after the hvc. Only hvc #0 is defined.
    let fn = frame[register: 0]
    if esr & 0xFFFF != 0 {
      frame[register: 0] = UInt64(bitPattern: HypercallError.einval)
    } else if PSCI.owns(fn) {
      frame[register: 0] = UInt64(bitPattern: PSCI.handle(fn, frame, cell: cell))
    } else {
      let result = Hypercall.handle(fn, frame[register: 1], frame[register: 2], cell: cell,
                                    memory: .identity(cell.window), sysTable: Machine.sysTableIPA)
      frame[register: 0] = UInt64(bitPattern: result)
    }
  case ExceptionClass.smc64:
    // A trapped smc leaves ELR at the smc itself. Only PSCI answers here.
    frame.pc += 4
    let fn = frame[register: 0]
    frame[register: 0] = UInt64(bitPattern: PSCI.owns(fn) ? PSCI.handle(fn, frame, cell: cell) : PSCI.notSupported)
  case ExceptionClass.dataAbortLower, ExceptionClass.instructionAbortLower:
    // HPFAR_EL2.FIPA holds IPA[47:12] in bits [43:4]; FAR_EL2 the offset within the page.
    let ipa = (read_hpfar_el2() & 0x0000_0FFF_FFFF_FFF0) << 8 | (read_far_el2() & 0xFFF)
    cell.begin()
    Console.put("stage-2 fault at IPA ")
    Console.hex(ipa)
    Console.put(" (ESR ")
    Console.hex(esr)
    Console.put(", PC ")
    Console.hex(frame.pc)
    Console.put(ec == ExceptionClass.dataAbortLower ? ", data" : ", instruction")
    Console.put(")")
    Console.end()
    Management.cell(cell, "fault", detail: true)
    Power.off(code: ExitCode.stage2Fault)
  default:
    cell.begin()
    Console.put("unexpected trap EC ")
    Console.hex(ec)
    Console.put(" (ESR ")
    Console.hex(esr)
    Console.put(", PC ")
    Console.hex(frame.pc)
    Console.put(")")
    Console.end()
    Management.cell(cell, "fault", detail: true)
    Power.off(code: ExitCode.unexpectedTrap)
  }
}

/// Rumkv's own exception (or a cell in AArch32): report and stop; nothing is trusted any more.
func rumkvException(_ frame: TrapFrame, _ kind: UInt64, _ esr: UInt64) -> Never {
  Console.begin()
  Console.put(kind == TrapKind.aarch32 ? "AArch32 exception from a cell" : "exception in Rumkv at EL2")
  Console.put(" (kind ")
  Console.dec(kind)
  Console.put(", ESR ")
  Console.hex(esr)
  Console.put(", ELR ")
  Console.hex(frame.pc)
  Console.put(", FAR ")
  Console.hex(read_far_el2())
  Console.put(")")
  Console.end()
  if kind == TrapKind.aarch32 {
    Management.cell(Machine.running, "fault", detail: true)
  } else {
    Management.rumkvFault()
  }
  Power.off(code: kind == TrapKind.aarch32 ? ExitCode.unexpectedTrap : ExitCode.rumkvFault)
}
