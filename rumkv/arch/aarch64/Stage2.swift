// Stage-2 translation tables for one cell: 4 KiB granule, 32-bit IPA space (T0SZ = 32) starting at
// level 1, so a cell can see at most 4 GiB of IPA, which holds QEMU virt's RAM, devices and the
// SysTable IPA. Windows are mapped with 2 MiB blocks (they are 2 MiB aligned), single pages with
// level-3 tables. Anything not mapped faults to Rumkv.

import RumkvCore
import RumkvSysreg

struct Stage2 {
  static let ipaBits: UInt64 = 32
  static let block2M: UInt64 = 2 << 20
  static let page: UInt64 = 4096

  // Descriptor fields (Arm ARM D8.3, stage 2).
  static let typeBlock: UInt64 = 0b01
  static let typeTableOrPage: UInt64 = 0b11
  static let memAttrNormalWB: UInt64 = 0xF << 2   // Normal, outer and inner write-back cacheable
  static let memAttrDevice: UInt64 = 0x1 << 2     // Device-nGnRE
  static let s2apReadWrite: UInt64 = 0b11 << 6
  static let shareInner: UInt64 = 0b11 << 8
  static let accessFlag: UInt64 = 1 << 10
  static let executeNever: UInt64 = 1 << 54
  static let addressMask: UInt64 = 0x0000_FFFF_FFFF_F000

  static let normal = memAttrNormalWB | s2apReadWrite | shareInner | accessFlag
  static let normalNoExec = normal | executeNever
  static let device = memAttrDevice | s2apReadWrite | accessFlag | executeNever

  /// Physical address of the level-1 table (the VTTBR base).
  let root: UInt64

  /// Allocates an empty root table from `pool`.
  init?(pool: inout PagePool) {
    guard let p = pool.allocate(pages: 1) else { return nil }
    root = UInt64(UInt(bitPattern: p.baseAddress))
  }

  /// Maps IPA [ipa, ipa + size) to PA [pa, ...) with `attributes`. Assumes ipa, pa and size are
  /// page aligned and the range is not mapped yet. Returns false when the pool runs out or the
  /// range does not fit the IPA space.
  func map(ipa: UInt64, pa: UInt64, size: UInt64, attributes: UInt64, pool: inout PagePool) -> Bool {
    guard let r = PhysicalRange(base: ipa, size: size), r.end <= 1 << Stage2.ipaBits else { return false }
    var offset: UInt64 = 0
    while offset < size {
      let i = ipa + offset, p = pa + offset
      guard let l2 = next(table: root, index: Int((i >> 30) & 0x1FF), pool: &pool) else { return false }
      if i % Stage2.block2M == 0 && p % Stage2.block2M == 0 && size - offset >= Stage2.block2M {
        store(l2, Int((i >> 21) & 0x1FF), p | attributes | Stage2.typeBlock)
        offset += Stage2.block2M
      } else {
        guard let l3 = next(table: l2, index: Int((i >> 21) & 0x1FF), pool: &pool) else { return false }
        store(l3, Int((i >> 12) & 0x1FF), p | attributes | Stage2.typeTableOrPage)
        offset += Stage2.page
      }
    }
    return true
  }

  /// The table the entry `index` of `table` points to, created (zeroed) if the entry is empty; nil
  /// when the entry is a block or the pool is exhausted.
  func next(table: UInt64, index: Int, pool: inout PagePool) -> UInt64? {
    let entry = load(table, index)
    if entry & 0b11 == Stage2.typeTableOrPage { return entry & Stage2.addressMask }
    guard entry == 0, let p = pool.allocate(pages: 1) else { return nil }
    let pa = UInt64(UInt(bitPattern: p.baseAddress))
    store(table, index, pa | Stage2.typeTableOrPage)
    return pa
  }

  func load(_ table: UInt64, _ index: Int) -> UInt64 {
    UnsafePointer<UInt64>(bitPattern: UInt(table))![index]
  }

  func store(_ table: UInt64, _ index: Int, _ value: UInt64) {
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(table))![index] = value
  }

  /// VTCR_EL2 for these tables: T0SZ = 32, start at level 1, inner-shareable write-back walks,
  /// 4 KiB granule, output size = the CPU's PARange (at most 48 bits).
  static var vtcr: UInt64 {
    let paRange = min(read_id_aa64mmfr0_el1() & 0xF, 5)
    return 1 << 31 | paRange << 16 | 0b00 << 14 | 0b11 << 12 | 0b01 << 10 | 0b01 << 8 | 0b01 << 6 | (64 - ipaBits)
  }
}
