// Stage-1 translation at EL1 and EL0: an identity map (4 KiB granule, 39-bit VA), turned on together
// with the caches right after the device tree is read.
//   [0, 1 GiB)            Device-nGnRnE, never executable, EL1 only: every MMIO block of QEMU virt
//                         (GIC, UART, RTC, virtio-mmio, PCIe windows) lies here.
//   the GiB of the cell   a level-2 table of 2 MiB blocks, Normal write-back; a block stays a block
//                         wherever its attributes are uniform, and becomes a level-3 table of 4 KiB
//                         pages where EL0 and EL1 differ inside it: at boot the image's and the NPL
//                         heap's boundaries, later (lazily, `entry`) the Wild blocks that hold a
//                         partition page EL0 must see and the SysTable's block:
//                           image text          EL0 and EL1 read + execute
//                           rodata              EL0 and EL1 read
//                           boot stack, tables  EL1 only
//                           kernel data, bss,   EL1 only (every object but the NPL side; link.ld)
//                           kernel heap
//                           NPL data, bss, heap EL0 and EL1 read/write
//                           SysTable page       EL1 only until the first EL0 entry, then read-only
//                           Bridgehead, Wild    EL1 only, except the running EL0 fiber's partition
//   other RAM GiBs        Normal, EL1 only, 1 GiB blocks (up to 4 GiB at least).
// Per-fiber confinement is one shared table whose Wild pages follow the running fiber: before any
// return to EL0, `enterUser` closes the pages it opened for the previous fiber and opens the current
// fiber's partition (its user stack, mapped pages, grants, channels), then invalidates the TLB
// entries of just those pages (a full flush above 16 pages). Nothing changes while the same fiber
// keeps returning to EL0 with an unchanged partition (docs/decisions/K6-el0-npls.md).
// Assumes: EL1, MMU off, IRQs masked, nothing cached yet.

import RumpkArch
import RumpkABI
import RumpkKernel

enum MMU {
  static let gib: UInt64 = 1 << 30
  static let twoMiB: UInt64 = 2 << 20
  static let page: UInt64 = 4096
  // Descriptor bits.
  static let block: UInt64 = 0b01
  static let tableOrPage: UInt64 = 0b11
  static let attrDevice: UInt64 = 0 << 2    // MAIR attr 0
  static let attrNormal: UInt64 = 1 << 2    // MAIR attr 1
  static let el0: UInt64 = 1 << 6           // AP[1]: EL0 may access
  static let readOnly: UInt64 = 1 << 7      // AP[2]: read-only (at every EL)
  static let innerShareable: UInt64 = 3 << 8
  static let accessFlag: UInt64 = 1 << 10
  static let pxn: UInt64 = 1 << 53
  static let uxn: UInt64 = 1 << 54
  static let neverExecute: UInt64 = pxn | uxn
  /// MAIR_EL1: attr 0 Device-nGnRnE (0x00), attr 1 Normal inner/outer write-back RW-allocate (0xFF).
  static let mair: UInt64 = 0xFF << 8

  static let normal: UInt64 = attrNormal | innerShareable | accessFlag
  /// EL1-only data: Bridgehead, Wild, the boot stack, RAM nobody uses.
  static let kernelData: UInt64 = normal | neverExecute
  static let userText: UInt64 = normal | el0 | readOnly
  static let userReadOnly: UInt64 = normal | el0 | readOnly | neverExecute
  static let userData: UInt64 = normal | el0 | neverExecute

  /// Output-address bits of a block (2 MiB) and of a table or page descriptor.
  static let blockAddress: UInt64 = 0x0000_FFFF_FFE0_0000
  static let pageAddress: UInt64 = 0x0000_FFFF_FFFF_F000

  nonisolated(unsafe) static var l2: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var l2Base: UInt64 = 0
  /// The pool of level-3 tables (in `.pagetables`): next free table and the end.
  nonisolated(unsafe) static var pool: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var poolEnd: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var wild = Region.empty
  nonisolated(unsafe) static var ready = false

  // EL0 views: for each fiber, the runs of level-3 entries its partition opens (first entry, page
  // count; a region crossing a 2 MiB boundary takes one run per block), kept in a direct-mapped
  // cache of `viewCount` entries (fiber index mod viewCount) in the last page of `.pagetables`,
  // valid while Partition.changes is unchanged, so a switch between fibers whose partitions did not
  // change reads its runs instead of scanning the partition. Entry layout, in words: fiber + 1
  // (0: empty), Partition.changes, run count, unused, then `maxRuns` (entry, pages) pairs.
  static let maxRuns = 24
  static let viewCount = 8
  static let viewWords = 4 + 2 * 24
  nonisolated(unsafe) static var views: UnsafeMutablePointer<UInt> = UnsafeMutablePointer(bitPattern: 0x10)!
  /// The view whose pages are open now (nil: none).
  nonisolated(unsafe) static var applied: UnsafeMutablePointer<UInt>? = nil
  nonisolated(unsafe) static var appliedFiber: Int32 = -2
  nonisolated(unsafe) static var appliedChanges: UInt64 = 0
  nonisolated(unsafe) static var sealed = false
  nonisolated(unsafe) public private(set) static var resyncs: UInt64 = 0
  nonisolated(unsafe) public private(set) static var splits: UInt64 = 0

  /// Builds the tables for `plan` and turns the MMU, data and instruction caches on. Returns the
  /// end of the Normal range (exclusive). 2 MiB blocks wherever a block's attributes are uniform;
  /// a level-3 table only for the blocks where EL0 and EL1 differ inside the block (the image's
  /// boundaries, the end of the NPL heap). Wild blocks and the SysTable's block are split into
  /// pages later, when EL0 first needs a page of them (`run(for:)`). Without room for the level-3
  /// tables (or a cell outside one GiB) EL0 sees nothing of RAM and NPLs cannot run at EL0.
  static func enable(ramEnd: UInt64, plan: CellMemoryPlan) -> UInt64 {
    let tables = rumpk_page_tables()
    let l1 = UnsafeMutablePointer<UInt64>(bitPattern: tables)!
    l2 = UnsafeMutablePointer<UInt64>(bitPattern: tables + 4096)!
    pool = UnsafeMutablePointer<UInt64>(bitPattern: tables + 8192)!
    poolEnd = UnsafeMutablePointer<UInt64>(bitPattern: rumpk_page_tables_end() - 4096)!
    views = UnsafeMutablePointer<UInt>(bitPattern: rumpk_page_tables_end() - 4096)!
    for e in 0..<viewCount { views[e * viewWords] = 0 }
    let gibs = min(max((ramEnd &+ gib &- 1) / gib, 4), 512)
    let cellGiB = plan.image.base / gib
    for i in 0..<512 {
      let base = UInt64(i) * gib
      if i == 0 {
        l1[i] = base | block | attrDevice | accessFlag | neverExecute
      } else if UInt64(i) == cellGiB {
        l1[i] = UInt64(UInt(bitPattern: l2)) | tableOrPage
      } else if UInt64(i) < gibs {
        l1[i] = base | block | normal | pxn | uxn
      } else {
        l1[i] = 0
      }
    }
    let gibBase = cellGiB * gib
    l2Base = gibBase
    wild = plan.wild
    for i in 0..<512 { l2[i] = (gibBase + UInt64(i) * twoMiB) | block | kernelData }
    let first = plan.image.base & ~(twoMiB - 1)
    let last = (max(plan.wild.end, plan.heap.end) + twoMiB - 1) & ~(twoMiB - 1)
    guard first >= gibBase, last <= gibBase + gib else {
      Console.put("rumpk: the cell spans GiBs; NPLs cannot run at EL0\n")
      return turnOn(l1, gibs)
    }
    // Where the EL0 attributes change (the map is constant between consecutive points).
    let image = plan.image.base
    let textEnd = plan.text.end
    let rodataEnd = UInt64(rumpk_stack_bottom())
    let dataStart = plan.writableShared.base
    let sharedEnd = plan.writableShared.end
    var base = first
    while base < last {
      let end = base + twoMiB
      func inside(_ p: UInt64) -> Bool { p > base && p < end }
      let slot = l2 + Int((base - gibBase) / twoMiB)
      if inside(image) || inside(textEnd) || inside(rodataEnd) || inside(dataStart) || inside(sharedEnd) {
        guard pool < poolEnd else {
          Console.put("rumpk: no room for level-3 tables; NPLs cannot run at EL0\n")
          for i in 0..<512 { l2[i] = (gibBase + UInt64(i) * twoMiB) | block | kernelData }
          return turnOn(l1, gibs)
        }
        let t = pool
        pool += 512
        for n in 0..<512 {
          let address = base + UInt64(n) * page
          t[n] = address | tableOrPage | attributes(address, image, textEnd, rodataEnd, dataStart, sharedEnd)
        }
        slot.pointee = UInt64(UInt(bitPattern: t)) | tableOrPage
      } else {
        slot.pointee = base | block | attributes(base, image, textEnd, rodataEnd, dataStart, sharedEnd)
      }
      base = end
    }
    ready = true
    return turnOn(l1, gibs)
  }

  /// The attributes of the page or block at `address` (see the header).
  @inline(__always)
  static func attributes(_ address: UInt64, _ image: UInt64, _ textEnd: UInt64, _ rodataEnd: UInt64,
                         _ dataStart: UInt64, _ sharedEnd: UInt64) -> UInt64 {
    if address >= image && address < textEnd { return userText }
    if address >= textEnd && address < rodataEnd { return userReadOnly }
    if address >= dataStart && address < sharedEnd { return userData }
    return kernelData
  }

  static func turnOn(_ l1: UnsafeMutablePointer<UInt64>, _ gibs: UInt64) -> UInt64 {
    // TCR_EL1: T0SZ 25 (39-bit VA, walk starts at level 1), walks write-back cacheable and inner
    // shareable, TG0 4 KiB, TTBR1 walks off (EPD1, TG1 4 KiB), IPS = the CPU's PA range (≤ 48 bits).
    let pa = min(read_id_aa64mmfr0_el1() & 0xF, 5)
    let tcr: UInt64 = 25 | 1 << 8 | 1 << 10 | 3 << 12 | 0 << 14 | 1 << 23 | 2 << 30 | pa << 32
    rumpk_mmu_on(mair, tcr, UInt64(UInt(bitPattern: l1)))
    return gibs * gib
  }

  /// Called before every return to EL0: makes the tables show the running fiber's partition and
  /// tells the runtime (TPIDRRO_EL0 != 0, cleared by every exception entry) that EL0 code runs, so
  /// its allocations go to the NPL heap (Runtime/Heap.swift).
  @inline(__always)
  static func enterUser() {
    if UserMode.currentIndex != appliedFiber || Partition.changes != appliedChanges { resync() }
    write_tpidrro_el0(1)
  }

  static func resync() {
    guard ready else { return }
    var full = false
    if !sealed {
      // The SysTable is written once, at boot; from the first EL0 entry on it is read-only for all.
      let table = UInt64(SysTableLayout.address) & ~(page - 1)
      if let pte = entry(table) { pte.pointee = pte.pointee & ~(el0 | readOnly | neverExecute) | userReadOnly }
      sealed = true
      full = true
    }
    // Close what the previous fiber had open: EL0 data and EL1-only data differ in AP[1] alone.
    // Each changed entry is made visible (dsb) and its page's TLB entry dropped (tlbi) right away;
    // a run longer than `targetedLimit` pages takes one full flush at the end instead.
    if let v = applied { full = patch(v, set: false) || full }
    let me = UserMode.currentIndex
    let changes = Partition.changes
    let v = views + Int(UInt32(bitPattern: me) % UInt32(viewCount)) * viewWords
    if v[0] != UInt(bitPattern: Int(me) + 1) || v[1] != UInt(changes) {
      collectRuns(into: v)
      v[0] = UInt(bitPattern: Int(me) + 1)
      v[1] = UInt(changes)
    }
    full = patch(v, set: true) || full
    applied = v
    appliedFiber = me
    appliedChanges = changes
    resyncs &+= 1
    if full { rumpk_tlb_flush() } else { rumpk_tlbi_done() }
  }

  /// Above this many pages in one run, one full flush is cheaper than page-by-page invalidation.
  static let targetedLimit: UInt = 16

  /// Opens (`set`) or closes the pages of view `v` to EL0. Returns whether a full flush is needed.
  @inline(__always)
  static func patch(_ v: UnsafeMutablePointer<UInt>, set: Bool) -> Bool {
    var full = false
    let count = Int(v[2])
    var r = v + 4
    for _ in 0..<count {
      let p = UnsafeMutablePointer<UInt64>(bitPattern: r[0])!
      let n = Int(r[1])
      if UInt(n) > targetedLimit {
        for j in 0..<n { p[j] = set ? p[j] | el0 : p[j] & ~el0 }
        full = true
      } else {
        for j in 0..<n {
          let e = set ? p[j] | el0 : p[j] & ~el0
          p[j] = e
          rumpk_pte_sync()
          rumpk_tlbi_page(e & pageAddress)
        }
      }
      r += 2
    }
    return full
  }

  /// Fills view `v` with the runs of the running fiber's partition: every region in Wild, page by
  /// page (splitting 2 MiB blocks as needed). Read-only grants stay writable at EL0: AP cannot say
  /// "EL1 read/write, EL0 read-only", and the kernel (drivers) must keep writing shared channel
  /// pages while another fiber runs.
  static func collectRuns(into v: UnsafeMutablePointer<UInt>) {
    var count = 0
    defer { v[2] = UInt(count) }
    guard let slots = UserMode.currentSlots else { return }
    let stride = UserMode.slotStride
    for i in 0..<Partition.capacity {
      let slot = slots + i * stride
      guard slot.load(fromByteOffset: 16, as: UInt8.self) != 0 else { continue }  // .free
      let base = slot.load(as: UInt64.self)
      let size = slot.load(fromByteOffset: 8, as: UInt64.self)
      guard size != 0, wild.contains(base, size) else { continue }
      let end = base + size
      var address = base & ~(page - 1)
      while address < end, count < maxRuns, let p = entry(address) {
        let blockEnd = (address | (twoMiB - 1)) &+ 1
        let n = (min(end, blockEnd) &- address &+ page &- 1) / page
        v[4 + 2 * count] = UInt(bitPattern: p)
        v[5 + 2 * count] = UInt(n)
        count += 1
        address &+= n * page
      }
    }
  }

  /// The level-3 entry for `address` in the cell's GiB, splitting its 2 MiB block into pages first
  /// if it is still a block. Nil outside the GiB or when the table pool is empty.
  static func entry(_ address: UInt64) -> UnsafeMutablePointer<UInt64>? {
    let i = (address &- l2Base) / twoMiB
    guard address >= l2Base, i < 512 else { return nil }
    var e = l2[Int(i)]
    if e & 3 != tableOrPage {
      guard e & 3 == block, pool < poolEnd else { return nil }
      let t = pool
      pool += 512
      let base = e & blockAddress
      let attributes = e & ~(blockAddress | 3)
      for n in 0..<512 { t[n] = (base + UInt64(n) * page) | tableOrPage | attributes }
      e = UInt64(UInt(bitPattern: t)) | tableOrPage
      rumpk_l2_replace(l2 + Int(i), e, base)
      splits &+= 1
    }
    let table = UnsafeMutablePointer<UInt64>(bitPattern: UInt(e & pageAddress))!
    return table + Int((address / page) & 511)
  }
}

/// First code of a fresh EL0 fiber (switch.S), at EL1 on its kernel stack, before the eret.
@_cdecl("rumpk_el0_enter")
public func rumpkEL0Enter() {
  UserMode.fiberStarting()
  MMU.enterUser()
}
