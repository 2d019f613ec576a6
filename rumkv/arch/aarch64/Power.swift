// Powering the node off: the "off" management record with Rumkv's own code, then PSCI SYSTEM_OFF
// through SMC to the firmware (QEMU's built-in PSCI at EL2 with virtualization=on), which carries no
// code: rumpkctl reads the records (docs/decisions/A5-status-channel.md). No semihosting: it
// would give whatever runs here the host.

import RumkvCore
import RumkvSysreg

enum Power {
  static let psciSystemOff: UInt64 = 0x8400_0008

  /// `code` is one of ExitCode's. Never returns: firmware that ignores the call leaves the CPU
  /// waiting for interrupts, masked, forever.
  static func off(code: UInt64) -> Never {
    Management.off(code: code)
    while true {
      _ = rumkv_smc(psciSystemOff, 0, 0, 0)
      rumkv_wfi()
    }
  }
}
