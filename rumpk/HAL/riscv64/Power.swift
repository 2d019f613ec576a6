// Ending the cell, first way that works: the sifive test device the tree lists (QEMU exits with the
// code); SBI SRST shutdown (the code travels in the reason word's vendor range for Rumkv to read;
// OpenSBI ends QEMU through the device it knows; without firmware the image's M-mode shim writes
// QEMU virt's test device, mshim.S); QEMU virt's test device itself, once (the machine direct runs
// use; a fault there on another machine comes back here and skips it); then a console line and the
// legacy SBI shutdown, and only when nothing answered, a parked hart
// (docs/decisions/K10-board-values.md).

import _Volatile
import RumpkArch
import RumpkKernel

enum Power {
  static let srstExtension: UInt64 = 0x5352_5354
  static let legacyShutdown: UInt64 = 0x08
  static let qemuVirtTestDevice: UInt = 0x10_0000
  nonisolated(unsafe) static var triedTreeDevice = false
  nonisolated(unsafe) static var triedQEMUVirtDevice = false

  /// Assumes Board.testDevice is 0 or passed its device check (Board.discover). May be entered
  /// again from the exception path while it runs; every step that can fault runs at most once.
  static func off(code: UInt64) -> Never {
    let value: UInt32 = code == 0 ? 0x5555 : 0x3333 | UInt32(truncatingIfNeeded: code & 0xFFFF) << 16
    if Board.testDevice != 0 && !triedTreeDevice {
      triedTreeDevice = true
      VolatileMappedRegister<UInt32>(unsafeBitPattern: Board.testDevice).store(value)
    }
    let reason = code == 0 ? 0 : 0xF000_0000 | (code & 0x0FFF_FFFF)
    _ = rumpk_sbi(srstExtension, 0, 0, reason, 0)
    if !triedQEMUVirtDevice {
      triedQEMUVirtDevice = true
      VolatileMappedRegister<UInt32>(unsafeBitPattern: qemuVirtTestDevice).store(value)
    }
    Console.put("rumpk: no power-off device answered (test device, SBI SRST); trying the legacy SBI shutdown, then parking the hart\n")
    _ = rumpk_sbi(legacyShutdown, 0, 0, 0, 0)
    while true { rumpk_wfi() }
  }
}
