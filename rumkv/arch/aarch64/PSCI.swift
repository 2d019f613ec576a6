// PSCI 1.0 as a cell sees it, through hvc (the conduit its tree names) or a trapped smc. Power state
// belongs to Rumkv: SYSTEM_OFF ends the cell (today: the node) with the code in x1, SYSTEM_RESET is
// reported and, until restart policy exists, ends it the same way; CPU_ON is denied (a cell owns
// one CPU for now).

import RumkvCore

enum PSCI {
  static let version: UInt64 = 0x8400_0000
  static let cpuSuspend32: UInt64 = 0x8400_0001, cpuSuspend64: UInt64 = 0xC400_0001
  static let cpuOff: UInt64 = 0x8400_0002
  static let cpuOn32: UInt64 = 0x8400_0003, cpuOn64: UInt64 = 0xC400_0003
  static let affinityInfo32: UInt64 = 0x8400_0004, affinityInfo64: UInt64 = 0xC400_0004
  static let migrateInfoType: UInt64 = 0x8400_0006
  static let systemOff: UInt64 = 0x8400_0008
  static let systemReset: UInt64 = 0x8400_0009
  static let features: UInt64 = 0x8400_000A

  static let success: Int64 = 0
  static let notSupported: Int64 = -1
  static let denied: Int64 = -3
  static let version1_0: Int64 = 0x1_0000
  static let trustedOSNotPresent: Int64 = 2

  /// True for function ids in the PSCI ranges (0x84000000-0x8400001F and 0xC4000000-0xC400001F).
  static func owns(_ fn: UInt64) -> Bool {
    (fn & ~0x1F) == 0x8400_0000 || (fn & ~0x1F) == 0xC400_0000
  }

  /// Handles PSCI function `fn` for the running cell; returns x0's new value (or does not return).
  static func handle(_ fn: UInt64, _ frame: TrapFrame, cell: Cell) -> Int64 {
    switch fn {
    case version:
      return version1_0
    case features:
      switch frame[register: 1] {
      case version, features, systemOff, systemReset, migrateInfoType: return success
      default: return notSupported
      }
    case migrateInfoType:
      return trustedOSNotPresent
    case systemOff:
      let code = frame[register: 1]
      cell.begin()
      Console.put("halted with code ")
      Console.dec(code)
      Console.end()
      Management.cell(cell, "halted", code: code)
      Machine.reportRunTime()
      Power.off(code: ExitCode.cellsEnded)
    case systemReset:
      let code = frame[register: 1]
      cell.begin()
      Console.put("requested a reset; restarting cells is not implemented yet, powering off with code ")
      Console.dec(code)
      Console.end()
      Management.cell(cell, "reset", code: code)
      Power.off(code: ExitCode.cellsEnded)
    case cpuOn32, cpuOn64:
      return denied
    default:
      return notSupported
    }
  }
}
