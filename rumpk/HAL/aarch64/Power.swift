// Ending the cell: Arm semihosting SYS_EXIT when the host enabled it (the exit code becomes QEMU's
// status), otherwise PSCI SYSTEM_OFF with the code in x1 (Rumkv reads it there; plain firmware
// ignores it).

import RumpkArch

enum Power {
  static let psciSystemOff: UInt64 = 0x8400_0008
  static let semihostExit: UInt64 = 0x18
  static let applicationExit: UInt64 = 0x20026

  static func off(code: UInt64) -> Never {
    if Board.semihosting {
      var block: (UInt64, UInt64) = (applicationExit, code)
      _ = withUnsafePointer(to: &block) { rumpk_semihost(semihostExit, $0) }
    }
    while true {
      switch Board.psci {
      case .hvc: _ = rumpk_psci_hvc(psciSystemOff, code, 0, 0)
      case .smc: _ = rumpk_psci_smc(psciSystemOff, code, 0, 0)
      }
      rumpk_wfi()
    }
  }
}
