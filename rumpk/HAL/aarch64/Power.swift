// Ending the cell: PSCI SYSTEM_OFF with the code in x1 (Rumkv reads it there; QEMU's firmware
// ignores it). The code reaches rumpkctl on the status port, written before this
// (docs/decisions/A5-status-channel.md); no semihosting, which would hand the image the host.

import RumpkArch

enum Power {
  static let psciSystemOff: UInt64 = 0x8400_0008

  /// Assumes the status record, if any, was written. Never returns: a conduit that ignores the
  /// call leaves the CPU waiting for interrupts forever, with nothing more to say.
  static func off(code: UInt64) -> Never {
    while true {
      switch Board.psci {
      case .hvc: _ = rumpk_psci_hvc(psciSystemOff, code, 0, 0)
      case .smc: _ = rumpk_psci_smc(psciSystemOff, code, 0, 0)
      }
      rumpk_wfi()
    }
  }
}
