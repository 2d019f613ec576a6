// Powering the node off with a code: Arm semihosting SYS_EXIT (extended, so QEMU's exit status is
// the code) when the board's /chosen/bootargs contain "rumkv.semihosting", otherwise PSCI SYSTEM_OFF
// through SMC to the firmware (QEMU's built-in PSCI at EL2 with virtualization=on), which cannot carry
// a code: the console line Rumkv printed before is then the only record.

import RumkvSysreg

enum Power {
  nonisolated(unsafe) static var semihosting = false
  static let semihostExit: UInt64 = 0x18
  static let applicationExit: UInt64 = 0x20026
  static let psciSystemOff: UInt64 = 0x8400_0008

  static func off(code: UInt64) -> Never {
    if semihosting {
      var block: (UInt64, UInt64) = (applicationExit, code)
      _ = withUnsafePointer(to: &block) { rumkv_semihost(semihostExit, $0) }
    }
    while true {
      _ = rumkv_smc(psciSystemOff, 0, 0, 0)
      rumkv_wfi()
    }
  }
}
