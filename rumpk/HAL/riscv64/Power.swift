// Ending the cell: the sifive test device when the tree lists a usable one (QEMU exits with the
// code), else SBI SRST shutdown (the code travels in the reason word's vendor range for Rumkv to
// read; OpenSBI ends QEMU; without firmware the image's M-mode shim writes QEMU virt's test device,
// mshim.S), else the legacy SBI shutdown. Only when nothing answers does the hart park, after a
// console line that says so (docs/decisions/K10-board-values.md).

import _Volatile
import RumpkArch
import RumpkKernel

enum Power {
  static let srstExtension: UInt64 = 0x5352_5354
  static let legacyShutdown: UInt64 = 0x08

  /// Assumes Board.testDevice is 0 or passed its device check (Board.discover).
  static func off(code: UInt64) -> Never {
    if Board.testDevice != 0 {
      let value: UInt32 = code == 0 ? 0x5555 : 0x3333 | UInt32(truncatingIfNeeded: code & 0xFFFF) << 16
      VolatileMappedRegister<UInt32>(unsafeBitPattern: Board.testDevice).store(value)
    }
    let reason = code == 0 ? 0 : 0xF000_0000 | (code & 0x0FFF_FFFF)
    _ = rumpk_sbi(srstExtension, 0, 0, reason, 0)
    _ = rumpk_sbi(legacyShutdown, 0, 0, 0, 0)
    Console.put("rumpk: no power-off device answered (test device, SBI SRST, legacy shutdown); hart parked\n")
    while true { rumpk_wfi() }
  }
}
