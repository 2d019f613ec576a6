// Stage-1 translation at EL1: an identity map with a single level-1 table (4 KiB granule, 39-bit
// VA, 1 GiB blocks), turned on together with the caches right after the device tree is read.
//   [0, 1 GiB)            Device-nGnRnE, never executable: every MMIO block of QEMU virt (GIC,
//                         UART, RTC, virtio-mmio, PCIe windows) lies here.
//   [1 GiB, end of RAM)   Normal write-back, inner shareable, executable (at least up to 4 GiB).
// The map sets memory attributes (caches on, device ordering, unaligned accesses legal); it is not
// the cell's fence: containment is stage 2's job under Rumkv, and NPL confinement comes with EL0
// (AP bits per NPL window). Assumes: EL1, MMU off, IRQs masked, nothing cached yet.

import RumpkArch

enum MMU {
  static let gib: UInt64 = 1 << 30
  // Block descriptor bits.
  static let block: UInt64 = 0b01
  static let attrDevice: UInt64 = 0 << 2    // MAIR attr 0
  static let attrNormal: UInt64 = 1 << 2    // MAIR attr 1
  static let innerShareable: UInt64 = 3 << 8
  static let accessFlag: UInt64 = 1 << 10
  static let neverExecute: UInt64 = 1 << 53 | 1 << 54  // PXN | UXN
  /// MAIR_EL1: attr 0 Device-nGnRnE (0x00), attr 1 Normal inner/outer write-back RW-allocate (0xFF).
  static let mair: UInt64 = 0xFF << 8

  /// Builds the table and turns the MMU, data and instruction caches on. Returns the end of the
  /// Normal range (exclusive).
  static func enable(ramEnd: UInt64) -> UInt64 {
    let l1 = UnsafeMutablePointer<UInt64>(bitPattern: rumpk_page_tables())!
    let gibs = min(max((ramEnd &+ gib &- 1) / gib, 4), 512)
    for i in 0..<512 {
      let base = UInt64(i) * gib
      if i == 0 {
        l1[i] = base | block | attrDevice | accessFlag | neverExecute
      } else if UInt64(i) < gibs {
        l1[i] = base | block | attrNormal | innerShareable | accessFlag
      } else {
        l1[i] = 0
      }
    }
    // TCR_EL1: T0SZ 25 (39-bit VA, walk starts at level 1), walks write-back cacheable and inner
    // shareable, TG0 4 KiB, TTBR1 walks off (EPD1, TG1 4 KiB), IPS = the CPU's PA range (≤ 48 bits).
    let pa = min(read_id_aa64mmfr0_el1() & 0xF, 5)
    let tcr: UInt64 = 25 | 1 << 8 | 1 << 10 | 3 << 12 | 0 << 14 | 1 << 23 | 2 << 30 | pa << 32
    rumpk_mmu_on(mair, tcr, UInt64(UInt(bitPattern: l1)))
    return gibs * gib
  }
}
