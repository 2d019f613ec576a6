// Stage-1 translation at EL1 and EL0: an identity map (4 KiB granule, 39-bit VA). `early` turns
// the MMU and caches on first thing in rumpk_main with 1 GiB blocks; `enable` moves to the real
// tables once the device tree is read:
//   [0, 1 GiB)            Device-nGnRnE, never executable, EL1 only: every MMIO block of QEMU virt
//                         (GIC, UART, RTC, virtio-mmio, PCIe windows) lies here.
//   the GiB of the cell   a level-2 table of 2 MiB blocks, Normal write-back; a block stays a block
//                         wherever its attributes are uniform, and becomes a level-3 table of 4 KiB
//                         pages where EL0 and EL1 differ inside it (the image's and the NPL heap's
//                         boundaries; the SysTable's block when it is sealed):
//                           image text          EL0 and EL1 read + execute
//                           rodata              EL0 and EL1 read
//                           boot stack, tables  EL1 only
//                           kernel data, bss,   EL1 only (every object but the NPL side; link.ld)
//                           kernel heap
//                           NPL data, bss, heap EL0 and EL1 read/write
//                           SysTable page       EL1 only until the first EL0 entry, then read-only
//                           Bridgehead, Wild    EL1 only, nG in Wild
//   other RAM GiBs        Normal, EL1 only, 1 GiB blocks (up to 4 GiB at least).
// Per-fiber confinement: EL0 views, one per fiber index mod 8 under its own ASID, each the shared
// tables plus private level-3 copies of the Wild blocks where its fiber's partition (user stack,
// mapped pages, grants, channels) is open to EL0. Before any return to EL0, `enterUser` loads the
// running fiber's view (one TTBR0_EL1 write), rebuilding it only when that fiber or any partition
// changed (docs/decisions/K6-el0-npls.md). Assumes: EL1, IRQs masked; `early` runs with the MMU off.

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
  /// nG: the TLB tags the entry with the ASID (Wild, where views differ).
  static let notGlobal: UInt64 = 1 << 11

  // The shared tables: level 1, the level-2 table of the cell's GiB, a pool of level-3 tables.
  nonisolated(unsafe) static var l1: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var l2: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var l2Base: UInt64 = 0
  nonisolated(unsafe) static var cellGiB = 0
  /// Entries of the level-1 table in use: the translated VA range is l1Count GiB (T0SZ follows).
  nonisolated(unsafe) static var l1Count = 4
  static let poolTables = 12
  nonisolated(unsafe) static var pool: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var poolEnd: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var wild = Region.empty
  nonisolated(unsafe) static var ready = false

  // EL0 views (docs/decisions/K6-el0-npls.md): `viewCount` sets of tables, one per fiber index mod
  // viewCount, each a copy of the shared level 1 and level 2 plus up to `viewBlocks` private level-3
  // tables for the Wild blocks that hold the fiber's partition pages, which are open to EL0 there
  // and only there. View e runs under ASID e + 1 (the shared tables under ASID 0); Wild entries are
  // nG, everything else global, so a switch between views is one TTBR0_EL1 write and no TLB
  // maintenance. A view stays valid while its fiber and Partition.changes are unchanged; otherwise
  // it is rebuilt (its old runs closed, the partition's runs opened, `tlbi aside1`) with the
  // shared tables loaded, never while it is live. Metadata of view e, `metaWords` words: fiber + 1
  // (0: empty), Partition.changes, run count, private tables in use, the TTBR0_EL1 value, 3 unused,
  // then `maxRuns` (entry address, page count) pairs.
  static let viewCount = 8
  static let viewBlocks = 4
  static let maxRuns = 24
  static let metaWords = 8 + 2 * 24
  static let viewPages = 2 + 4
  nonisolated(unsafe) static var meta: UnsafeMutablePointer<UInt> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var viewTables: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var appliedFiber: Int32 = -2
  nonisolated(unsafe) static var appliedChanges: UInt64 = 0
  nonisolated(unsafe) static var sealed = false
  nonisolated(unsafe) public private(set) static var rebuilds: UInt64 = 0

  /// Turns the MMU and caches on first thing, before the device tree is read, with a level-1 table
  /// of four 1 GiB blocks (the last page of `.pagetables`; a 32-bit VA range, so the table has only
  /// those four entries): [0, 1 GiB) Device, [1, 4 GiB) Normal, EL1 only, executable in the
  /// image's GiB. From here on every access is to Normal memory (or aligned MMIO), so the Swift
  /// code is built without -mstrict-align (build-image). `enable` moves to the real tables once
  /// the memory plan is known.
  static func early() {
    let t = UnsafeMutablePointer<UInt64>(bitPattern: rumpk_page_tables_end() - 4096)!
    let imageGiB = Int(rumpk_image_start() / UInt(gib))
    t[0] = block | attrDevice | accessFlag | neverExecute
    for i in 1..<4 { t[i] = UInt64(i) * gib | block | normal | uxn | (i == imageGiB ? 0 : pxn) }
    _ = turnOn(t, 4, entries: 4)
  }

  /// The level-1 entries that cover `gibs` GiB: a power of two from 4 to 512, so that the VA range
  /// (T0SZ) matches the table exactly. Every GiB beyond `gibs` that the table covers is unmapped.
  static func l1Entries(_ gibs: UInt64) -> Int {
    var n = 4
    while n < 512 && UInt64(n) < gibs { n *= 2 }
    return n
  }

  /// Builds the shared tables for `plan` and moves to them (or turns the MMU, data and instruction
  /// caches on, without `early`). Returns the end of the Normal range (exclusive). 2 MiB blocks
  /// wherever a block's attributes are uniform; a level-3 table only for the blocks where EL0 and
  /// EL1 differ inside the block (the image's boundaries, the end of the NPL heap). Wild blocks get
  /// page tables only in the EL0 views (`viewEntry`), the SysTable's block when it is sealed
  /// (`entry`). Without room for the level-3 tables (or a cell outside one GiB) EL0 sees nothing of
  /// RAM and NPLs cannot run at EL0.
  static func enable(ramEnd: UInt64, plan: CellMemoryPlan) -> UInt64 {
    let tables = rumpk_page_tables()
    l1 = UnsafeMutablePointer<UInt64>(bitPattern: tables)!
    l2 = UnsafeMutablePointer<UInt64>(bitPattern: tables + 4096)!
    pool = UnsafeMutablePointer<UInt64>(bitPattern: tables + 8192)!
    poolEnd = pool + poolTables * 512
    meta = UnsafeMutablePointer<UInt>(bitPattern: UInt(bitPattern: poolEnd))!
    viewTables = poolEnd + 512
    guard UInt(bitPattern: viewTables + viewCount * viewPages * 512) <= rumpk_page_tables_end() - 4096 else {
      Console.put("rumpk: .pagetables too small for the EL0 views; NPLs cannot run at EL0\n")
      return 4 * gib  // stays on the early map
    }
    for e in 0..<viewCount { meta[e * metaWords] = 0 }
    let gibs = min(max((ramEnd &+ gib &- 1) / gib, 4), 512)
    cellGiB = Int(plan.image.base / gib)
    l1Count = l1Entries(max(gibs, UInt64(cellGiB) + 1))
    for i in 0..<l1Count {
      let base = UInt64(i) * gib
      if i == 0 {
        l1[i] = base | block | attrDevice | accessFlag | neverExecute
      } else if i == cellGiB {
        l1[i] = UInt64(UInt(bitPattern: l2)) | tableOrPage
      } else if UInt64(i) < gibs {
        l1[i] = base | block | normal | pxn | uxn
      } else {
        l1[i] = 0
      }
    }
    let gibBase = UInt64(cellGiB) * gib
    l2Base = gibBase
    wild = plan.wild
    for i in 0..<512 { l2[i] = (gibBase + UInt64(i) * twoMiB) | block | kernelData }
    let first = plan.image.base & ~(twoMiB - 1)
    let last = (max(plan.wild.end, plan.heap.end) + twoMiB - 1) & ~(twoMiB - 1)
    guard first >= gibBase, last <= gibBase + gib else {
      Console.put("rumpk: the cell spans GiBs; NPLs cannot run at EL0\n")
      return turnOn(l1, gibs, entries: l1Count)
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
          return turnOn(l1, gibs, entries: l1Count)
        }
        var t = pool
        pool += 512
        slot.pointee = UInt64(UInt(bitPattern: t)) | tableOrPage
        // Segment by segment: the attributes are constant up to the next point.
        var address = base
        while address < end {
          let bits = tableOrPage | attributes(address, image, textEnd, rodataEnd, dataStart, sharedEnd)
          var next = end
          func limit(_ p: UInt64) { if p > address && p < next { next = p } }
          limit(image); limit(textEnd); limit(rodataEnd); limit(dataStart); limit(sharedEnd)
          next = (next + page - 1) & ~(page - 1)
          while address < next {
            t.pointee = address | bits
            t += 1
            address += page
          }
        }
      } else {
        slot.pointee = base | block | attributes(base, image, textEnd, rodataEnd, dataStart, sharedEnd)
      }
      base = end
    }
    // Wild blocks are nG: their TLB entries belong to one ASID (a view, or 0 for the shared tables).
    var w = wild.base & ~(twoMiB - 1)
    while w < wild.end {
      let slot = l2 + Int((w - gibBase) / twoMiB)
      if slot.pointee & 3 == block { slot.pointee |= notGlobal }
      w += twoMiB
    }
    ready = true
    return turnOn(l1, gibs, entries: l1Count)
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

  /// Loads `l1` (`entries` entries, a power of two from 4 to 512) and turns the MMU and caches on
  /// (or moves to it). Returns the end of the Normal range, `gibs` GiB.
  static func turnOn(_ l1: UnsafeMutablePointer<UInt64>, _ gibs: UInt64, entries: Int) -> UInt64 {
    // TCR_EL1: T0SZ = 64 - (30 + log2 entries), 25 to 32 (a VA range of `entries` GiB, walk starts
    // at level 1), walks write-back cacheable and inner shareable, TG0 4 KiB, TTBR1 walks off
    // (EPD1, TG1 4 KiB), IPS = the CPU's PA range (≤ 48 bits).
    let t0sz = UInt64(34 - entries.trailingZeroBitCount)
    let pa = min(read_id_aa64mmfr0_el1() & 0xF, 5)
    let tcr: UInt64 = t0sz | 1 << 8 | 1 << 10 | 3 << 12 | 0 << 14 | 1 << 23 | 2 << 30 | pa << 32
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

  /// Loads the running fiber's view, rebuilding it first when it is stale (slow path, `rebuild`).
  static func resync() {
    guard ready else { return }
    let me = UserMode.currentIndex
    let changes = Partition.changes
    let e = Int(UInt32(bitPattern: me) % UInt32(viewCount))
    let m = meta + e * metaWords
    if m[0] != UInt(bitPattern: Int(me) + 1) || m[1] != UInt(changes) {
      rebuild(e, m, me)
      m[1] = UInt(changes)
    }
    rumpk_set_ttbr0(UInt64(m[4]))
    appliedFiber = me
    appliedChanges = changes
  }

  /// Makes view `e` (metadata `m`) show fiber `me`'s partition. Runs with the shared tables loaded.
  static func rebuild(_ e: Int, _ m: UnsafeMutablePointer<UInt>, _ me: Int32) {
    rumpk_set_ttbr0(UInt64(UInt(bitPattern: l1)))
    if !sealed {
      // The SysTable is written once, at boot; from the first EL0 entry on it is read-only for all.
      // Done in the shared tables before any view copies them.
      let table = UInt64(SysTableLayout.address) & ~(page - 1)
      if let pte = entry(table) { pte.pointee = pte.pointee & ~(el0 | readOnly | neverExecute) | userReadOnly }
      rumpk_tlb_flush()
      sealed = true
    }
    let v1 = viewTables + e * viewPages * 512
    if m[0] == UInt(bitPattern: Int(me) + 1) {
      // Same fiber, its partition (or another's) changed: close its old runs, reopen from scratch.
      var r = m + 8
      for _ in 0..<Int(m[2]) {
        let p = UnsafeMutablePointer<UInt64>(bitPattern: r[0])!
        for j in 0..<Int(r[1]) { p[j] &= ~el0 }
        r += 2
      }
      if !collectRuns(e, m) { fresh(e, m, v1); _ = collectRuns(e, m) }
    } else {
      fresh(e, m, v1)
      if !collectRuns(e, m) { Console.put("rumpk: an EL0 partition spans too many 2 MiB blocks\n") }
      m[0] = UInt(bitPattern: Int(me) + 1)
    }
    var r = m + 8
    for _ in 0..<Int(m[2]) {
      let p = UnsafeMutablePointer<UInt64>(bitPattern: r[0])!
      for j in 0..<Int(r[1]) { p[j] |= el0 | notGlobal }  // nG already, unless copied from a mixed block
      r += 2
    }
    rumpk_tlbi_asid(UInt64(e + 1))
    rebuilds &+= 1
  }

  /// Resets view `e`'s tables to copies of the shared level 1 and level 2, no private tables.
  static func fresh(_ e: Int, _ m: UnsafeMutablePointer<UInt>, _ v1: UnsafeMutablePointer<UInt64>) {
    let v2 = v1 + 512
    for i in 0..<l1Count { v1[i] = l1[i] }
    for i in 0..<512 { v2[i] = l2[i] }
    v1[cellGiB] = UInt64(UInt(bitPattern: v2)) | tableOrPage
    m[2] = 0
    m[3] = 0
    m[4] = UInt(bitPattern: v1) | UInt(e + 1) << 48  // TTBR0_EL1: tables and ASID
  }

  /// Fills view `e`'s runs from the running fiber's partition: every region in Wild, page by page,
  /// giving the view a private level-3 table for each block it touches. Read-only grants stay
  /// writable at EL0: AP cannot say "EL1 read/write, EL0 read-only", and the kernel (drivers) must
  /// keep writing shared channel pages while another fiber runs. False when the view ran out of
  /// private tables or runs.
  static func collectRuns(_ e: Int, _ m: UnsafeMutablePointer<UInt>) -> Bool {
    var count = 0
    defer { m[2] = UInt(count) }
    guard let slots = UserMode.currentSlots else { return true }
    let stride = UserMode.slotStride
    let v2 = viewTables + e * viewPages * 512 + 512
    for i in 0..<Partition.capacity {
      let slot = slots + i * stride
      guard slot.load(fromByteOffset: 16, as: UInt8.self) != 0 else { continue }  // .free
      let base = slot.load(as: UInt64.self)
      let size = slot.load(fromByteOffset: 8, as: UInt64.self)
      guard size != 0, wild.contains(base, size) else { continue }
      let end = base + size
      var address = base & ~(page - 1)
      while address < end {
        guard count < maxRuns, let p = viewEntry(address, v2, m) else { return false }
        let blockEnd = (address | (twoMiB - 1)) &+ 1
        let n = (min(end, blockEnd) &- address &+ page &- 1) / page
        m[8 + 2 * count] = UInt(bitPattern: p)
        m[9 + 2 * count] = UInt(n)
        count += 1
        address &+= n * page
      }
    }
    return true
  }

  /// The level-3 entry for `address` in a view (level 2 at `v2`), giving the view a private copy
  /// of the block's level-3 table first if it has none. Nil outside the cell's GiB or when the
  /// view has no private table left.
  static func viewEntry(_ address: UInt64, _ v2: UnsafeMutablePointer<UInt64>, _ m: UnsafeMutablePointer<UInt>) -> UnsafeMutablePointer<UInt64>? {
    let i = (address &- l2Base) / twoMiB
    guard address >= l2Base, i < 512 else { return nil }
    let own = v2 + 512
    var d = v2[Int(i)]
    let t = UnsafeMutablePointer<UInt64>(bitPattern: UInt(d & pageAddress))
    if d & 3 != tableOrPage || t == nil || t! < own || t! >= own + viewBlocks * 512 {
      guard Int(m[3]) < viewBlocks, d & 1 == 1 else { return nil }
      let copy = own + Int(m[3]) * 512
      m[3] += 1
      if d & 3 == block {
        let base = d & blockAddress
        let attributes = d & ~(blockAddress | 3)
        for n in 0..<512 { copy[n] = (base + UInt64(n) * page) | tableOrPage | attributes }
      } else {
        for n in 0..<512 { copy[n] = t![n] }
      }
      d = UInt64(UInt(bitPattern: copy)) | tableOrPage
      v2[Int(i)] = d
    }
    return UnsafeMutablePointer<UInt64>(bitPattern: UInt(d & pageAddress))! + Int((address / page) & 511)
  }

  /// The level-3 entry for `address` in the shared tables, splitting its 2 MiB block into pages first
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
