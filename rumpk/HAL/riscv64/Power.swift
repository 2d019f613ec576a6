// Ending the cell: the sifive test device when the tree lists one (QEMU exits with the code), else
// SBI SRST shutdown (the code travels in the reason word's vendor range for Rumkv to read).

import _Volatile
import RumpkArch

enum Power {
  static let srstExtension: UInt64 = 0x5352_5354
  static func off(code: UInt64) -> Never {
    if Board.testDevice != 0 {
      let value: UInt32 = code == 0 ? 0x5555 : 0x3333 | UInt32(truncatingIfNeeded: code & 0xFFFF) << 16
      VolatileMappedRegister<UInt32>(unsafeBitPattern: Board.testDevice).store(value)
    }
    while true {
      let reason = code == 0 ? 0 : 0xF000_0000 | (code & 0x0FFF_FFFF)
      _ = rumpk_sbi(srstExtension, 0, 0, reason, 0)
      rumpk_wfi()
    }
  }
}
