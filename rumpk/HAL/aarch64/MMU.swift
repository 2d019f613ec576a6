// Stage-1 translation at EL1 and EL0 (4 KiB granule, 39-bit VA). `early` turns the MMU and caches
// on first thing in rumpk_main with 1 GiB blocks; `enable` moves to the real tables once the device
// tree is read (docs/decisions/K6-el0-npls.md, K9-npl-windows.md):
//   GiB 0                 the NPL windows, a level-2 table (`low`):
//                           window A 0x0800_0000  the NPL image, linked there, loaded after the
//                                                 kernel: text EL0 read + execute, rodata read,
//                                                 data, bss and the NPL heap read/write
//                           window B 0x1000_0000  an alias of Wild; in the shared tables nothing,
//                                                 in a fiber's EL0 view exactly its partition's
//                                                 pages (read-only where the partition says so)
//   GiB 8 (deviceAlias)   [0, 1 GiB) physical: Device-nGnRnE, never executable, EL1 only. Every
//                         MMIO block of QEMU virt lies in GiB 0, where the windows are, so the
//                         kernel reaches devices at deviceAlias + PA (`device`).
//   the GiB of the cell   identity, a level-2 table of 2 MiB blocks, Normal write-back, EL1 only
//                         but for the page of the SysTable's svc stubs (EL0 read + execute), the
//                         GOT page and the SysTable page once sealed (EL0 read-only); the kernel's text and rodata
//                         are EL1 only (NPL code has its own runtime copy in window A);
//                         Bridgehead, Wild, the NPL image's load range: EL1 only. A level-3 table
//                         only where attributes change inside a block.
//   other RAM GiBs        Normal, EL1 only, 1 GiB blocks (up to 4 GiB at least).
// Per-fiber confinement: EL0 views, one per fiber index mod 8 under its own ASID, each a copy of
// level 1 and of `low` plus private level-3 tables for the window-B blocks where its fiber's
// partition lies. Before any return to EL0, `enterUser` loads the running fiber's view (one
// TTBR0_EL1 write), rebuilding it only when that fiber or any partition changed.
// Assumes: EL1, IRQs masked; `early` runs with the MMU off.

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
  /// The kernel's own text and rodata: EL1 only (EL0 executes just the stub page, K9).
  static let kernelText: UInt64 = normal | readOnly | uxn
  static let kernelReadOnly: UInt64 = normal | readOnly | neverExecute
  static let userReadOnly: UInt64 = normal | el0 | readOnly | neverExecute
  static let userData: UInt64 = normal | el0 | neverExecute

  /// Output-address bits of a block (2 MiB) and of a table or page descriptor.
  static let blockAddress: UInt64 = 0x0000_FFFF_FFE0_0000
  static let pageAddress: UInt64 = 0x0000_FFFF_FFFF_F000
  /// nG: the TLB tags the entry with the ASID (Wild, where views differ).
  static let notGlobal: UInt64 = 1 << 11

  /// Where the kernel sees physical [0, 1 GiB) (every MMIO block of the board): GiB 8, above the
  /// RAM a cell may have (`enable` maps RAM up to 8 GiB), so the level-1 table stays 16 entries.
  static let deviceAlias: UInt64 = 8 << 30
  static let deviceGiB = 8
  /// The NPL windows (K9): A holds the NPL image and heap, B aliases Wild.
  static let windowA: UInt64 = 0x0800_0000
  static let windowB: UInt64 = 0x1000_0000
  static let windowSize: UInt64 = 0x0800_0000

  /// The kernel's address of the device register block at physical `pa` (below 1 GiB).
  @inline(__always)
  static func device(_ pa: UInt) -> UInt { pa | UInt(deviceAlias) }

  // The shared tables: level 1, the level-2 tables of GiB 0 (the windows) and of the cell's GiB,
  // a pool of level-3 tables.
  nonisolated(unsafe) static var l1: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var l2: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var low: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var l2Base: UInt64 = 0
  nonisolated(unsafe) static var cellGiB = 0
  /// Entries of the level-1 table in use: the translated VA range is l1Count GiB (T0SZ follows).
  nonisolated(unsafe) static var l1Count = 16
  static let poolTables = 12
  nonisolated(unsafe) static var pool: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var poolEnd: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var wild = Region.empty
  nonisolated(unsafe) static var ready = false
  /// The windows as configured by `enable` (UserWindows takes the same values through CellBoot).
  nonisolated(unsafe) static var imageWindow = UserWindow.none
  nonisolated(unsafe) static var partitionWindow = UserWindow.none

  // EL0 views: `viewCount` sets of tables, one per fiber index mod viewCount, each a copy of level
  // 1 and of `low` plus up to `viewBlocks` private level-3 tables for the window-B blocks that hold
  // the fiber's partition pages, which exist in that view only. View e runs under ASID e + 1 (the
  // shared tables under ASID 0); window-B entries are nG, everything else global, so a switch
  // between views is one TTBR0_EL1 write and no TLB maintenance. A view stays valid while its fiber
  // and Partition.changes are unchanged; otherwise it is rebuilt (its old runs cleared, the
  // partition's runs written, `tlbi aside1`) with the shared tables loaded, never while it is live.
  // Metadata of view e, `metaWords` words: fiber + 1 (0: empty), Partition.changes, run count,
  // private tables in use, the TTBR0_EL1 value, 1 when more runs were written than recorded, 2 unused, then `maxRuns` (entry address, page
  // count) pairs.
  static let viewCount = 8
  /// Private level-3 tables per view: one for every 2 MiB block of window B (Wild is
  /// CellMemoryPlan.wildBytes, 32 MiB), so any partition opens in full.
  static let viewBlocks = 16
  static let maxRuns = 24
  static let metaWords = 8 + 2 * 24
  static let viewPages = 2 + viewBlocks
  nonisolated(unsafe) static var meta: UnsafeMutablePointer<UInt> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var viewTables: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var appliedFiber: Int32 = -2
  nonisolated(unsafe) static var appliedChanges: UInt64 = 0
  nonisolated(unsafe) static var sealed = false
  nonisolated(unsafe) public private(set) static var rebuilds: UInt64 = 0

  /// Turns the MMU and caches on first thing, before the device tree is read, with a level-1 table
  /// of 1 GiB blocks (the last page of `.pagetables`; 16 entries, a 34-bit VA range): [0, 1 GiB)
  /// Device at 0 and at deviceAlias, [1, 4 GiB) Normal, EL1 only, executable in the image's GiB.
  /// From here on every access is to Normal memory (or aligned MMIO), so the Swift code is built
  /// without -mstrict-align (build-image). `enable` moves to the real tables once the memory plan
  /// is known.
  static func early() {
    let t = UnsafeMutablePointer<UInt64>(bitPattern: rumpk_page_tables_end() - 4096)!
    let imageGiB = Int(rumpk_image_start() / UInt(gib))
    t[0] = block | attrDevice | accessFlag | neverExecute
    for i in 1..<4 { t[i] = UInt64(i) * gib | block | normal | uxn | (i == imageGiB ? 0 : pxn) }
    for i in 4..<16 { t[i] = 0 }
    t[deviceGiB] = block | attrDevice | accessFlag | neverExecute
    _ = turnOn(t, 4, entries: 16)
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
  /// wherever a block's attributes are uniform, a level-3 table where they change inside it.
  /// Window A maps the NPL image's load range [rumpk_npl_load, plan.heap.end) at windowA; window B
  /// (Wild) is filled only in the EL0 views (`viewEntry`); the SysTable's block is split when it
  /// is sealed (`entry`). Without room for the tables, a cell outside one GiB or an NPL image larger
  /// than window A, EL0 sees nothing and NPLs cannot run at EL0 (`ready` stays false).
  static func enable(ramEnd: UInt64, plan: CellMemoryPlan) -> UInt64 {
    let tables = rumpk_page_tables()
    l1 = UnsafeMutablePointer<UInt64>(bitPattern: tables)!
    l2 = UnsafeMutablePointer<UInt64>(bitPattern: tables + 4096)!
    low = UnsafeMutablePointer<UInt64>(bitPattern: tables + 8192)!
    pool = low + 512
    poolEnd = low + poolTables * 512
    meta = UnsafeMutablePointer<UInt>(bitPattern: UInt(bitPattern: poolEnd))!
    viewTables = poolEnd + 512
    guard UInt(bitPattern: viewTables + viewCount * viewPages * 512) <= rumpk_page_tables_end() - 4096 else {
      Console.put("rumpk: .pagetables too small for the EL0 views; NPLs cannot run at EL0\n")
      return 4 * gib  // stays on the early map
    }
    for e in 0..<viewCount { meta[e * metaWords] = 0 }
    let gibs = min(max(ramEnd / gib + (ramEnd % gib != 0 ? 1 : 0), 4), UInt64(deviceGiB))
    if ramEnd > deviceAlias { Console.put("rumpk: RAM above 8 GiB is not mapped (the device alias is there)\n") }
    cellGiB = Int(plan.image.base / gib)
    l1Count = l1Entries(UInt64(max(deviceGiB, cellGiB) + 1))
    for i in 0..<l1Count {
      let base = UInt64(i) * gib
      if i == 0 {
        l1[i] = UInt64(UInt(bitPattern: low)) | tableOrPage
      } else if base == deviceAlias {
        l1[i] = block | attrDevice | accessFlag | neverExecute
      } else if i == cellGiB {
        l1[i] = UInt64(UInt(bitPattern: l2)) | tableOrPage
      } else if UInt64(i) < gibs {
        l1[i] = base | block | normal | pxn | uxn
      } else {
        l1[i] = 0
      }
    }
    for i in 0..<512 { low[i] = 0 }
    let gibBase = UInt64(cellGiB) * gib
    l2Base = gibBase
    wild = plan.wild
    for i in 0..<512 { l2[i] = (gibBase + UInt64(i) * twoMiB) | block | kernelData }
    let nplLoad = UInt64(rumpk_npl_load())
    let imageBytes = plan.heap.end &- nplLoad
    guard plan.image.base >= gibBase, max(plan.wild.end, plan.heap.end) <= gibBase + gib,
          plan.heap.end >= nplLoad, imageBytes <= windowSize, wild.size <= windowSize else {
      Console.put("rumpk: the cell spans GiBs or outgrows the NPL windows; NPLs cannot run at EL0\n")
      return turnOn(l1, gibs, entries: l1Count)
    }
    // Identity: EL1 only, but for the page of svc stubs (EL0 read + execute); NPL code has its own
    // runtime in window A (build-image), so it never needs the kernel's text or rodata.
    let image = plan.image.base, textEnd = UInt64(rumpk_text_end()), rodataEnd = UInt64(rumpk_rodata_end())
    let stubs = UInt64(rumpk_user_stubs_start()), got = UInt64(rumpk_got_start())
    let identity = map(l2, gibBase, from: image & ~(twoMiB - 1), to: (rodataEnd + twoMiB - 1) & ~(twoMiB - 1),
                       physical: image & ~(twoMiB - 1), points: (stubs, got, textEnd, rodataEnd)) { a in
      a < image ? kernelData : a < stubs ? kernelText : a < got ? userText : a < textEnd ? userReadOnly
        : a < rodataEnd ? kernelReadOnly : kernelData
    }
    // Window A: the NPL image where it is linked, then (2 MiB aligned, link.ld) the NPL heap.
    let textEndA = UInt64(rumpk_npl_text_end())
    let dataStartA = UInt64(rumpk_data_start())
    let bssEndA = (UInt64(rumpk_npl_bss_end()) + page - 1) & ~(page - 1)
    let heapA = UInt64(rumpk_heap_start())
    let endA = windowA + imageBytes
    let nplMapped = map(low, 0, from: windowA, to: bssEndA, physical: nplLoad,
                        points: (textEndA, dataStartA, bssEndA, bssEndA)) { a in
      a < textEndA ? userText : a < dataStartA ? userReadOnly : userData
    } && map(low, 0, from: heapA, to: (endA + page - 1) & ~(page - 1), physical: nplLoad + (heapA - windowA),
             points: (heapA, heapA, heapA, heapA)) { _ in userData }
    guard identity, nplMapped else {
      Console.put("rumpk: no room for level-3 tables; NPLs cannot run at EL0\n")
      for i in 0..<512 { l2[i] = (gibBase + UInt64(i) * twoMiB) | block | kernelData; low[i] = 0 }
      return turnOn(l1, gibs, entries: l1Count)
    }
    imageWindow = UserWindow(user: windowA, kernel: nplLoad, size: imageBytes)
    partitionWindow = UserWindow(user: windowB, kernel: wild.base, size: wild.size)
    ready = true
    return turnOn(l1, gibs, entries: l1Count)
  }

  /// Maps [from, to) of the GiB whose level-2 table is `l2t` (its first address `l2VA`) to the
  /// physical range starting at `physical`, with `attributes(va)`, which is constant between
  /// consecutive `points`. 2 MiB blocks where the block is uniform and both addresses are 2 MiB
  /// aligned; else a level-3 table from the pool, filled run by run. Assumes from, to and physical
  /// are page aligned. False when the pool ran out.
  static func map(_ l2t: UnsafeMutablePointer<UInt64>, _ l2VA: UInt64, from: UInt64, to: UInt64, physical: UInt64,
                  points: (UInt64, UInt64, UInt64, UInt64), attributes: (UInt64) -> UInt64) -> Bool {
    var va = from
    while va < to {
      let blockEnd = (va | (twoMiB - 1)) &+ 1
      let end = min(blockEnd, to)
      let pa = physical &+ (va &- from)
      func inside(_ p: UInt64) -> Bool { p > va && p < end }
      let slot = l2t + Int((va &- l2VA) / twoMiB)
      if end == blockEnd && va & (twoMiB - 1) == 0 && pa & (twoMiB - 1) == 0
          && !inside(points.0) && !inside(points.1) && !inside(points.2) && !inside(points.3) {
        slot.pointee = pa | block | attributes(va)
        va = end
        continue
      }
      guard pool < poolEnd else { return false }
      let t = pool
      pool += 512
      slot.pointee = UInt64(UInt(bitPattern: t)) | tableOrPage
      let first = Int((va / page) & 511)
      t.update(repeating: 0, count: first)
      var n = first
      while va < end {
        var next = end
        func limit(_ p: UInt64) { if p > va && p < next { next = p } }
        limit(points.0); limit(points.1); limit(points.2); limit(points.3)
        next = (next &+ page &- 1) & ~(page &- 1)
        let bits = tableOrPage | attributes(va)
        var entry = (physical &+ (va &- from)) | bits
        var p = t + n
        let stop = p + Int((next &- va) / page)
        while p < stop {
          p.pointee = entry
          entry &+= page
          p += 1
        }
        n = p - t
        va = next
      }
      (t + n).update(repeating: 0, count: 512 &- n)
    }
    return true
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
    if m[0] == UInt(bitPattern: Int(me) + 1) && m[5] == 0 {
      // Same fiber, its partition (or another's) changed: clear its old runs, write them afresh.
      var r = m + 8
      for _ in 0..<Int(m[2]) {
        let p = UnsafeMutablePointer<UInt64>(bitPattern: r[0])!
        for j in 0..<Int(r[1]) { p[j] = 0 }
        r += 2
      }
    } else {
      // Another fiber, or more runs than the metadata could record: start from the shared tables.
      fresh(e, m, v1)
      m[0] = UInt(bitPattern: Int(me) + 1)
    }
    if !collectRuns(e, m) { Console.put("rumpk: an EL0 partition lies outside window B\n") }
    rumpk_tlbi_asid(UInt64(e + 1))
    rebuilds &+= 1
  }

  /// Resets view `e`'s tables to copies of the shared level 1 and `low`, no private tables.
  static func fresh(_ e: Int, _ m: UnsafeMutablePointer<UInt>, _ v1: UnsafeMutablePointer<UInt64>) {
    let v2 = v1 + 512
    for i in 0..<l1Count { v1[i] = l1[i] }
    for i in 0..<512 { v2[i] = low[i] }
    v1[0] = UInt64(UInt(bitPattern: v2)) | tableOrPage
    m[2] = 0
    m[3] = 0
    m[5] = 0
    m[4] = UInt(bitPattern: v1) | UInt(e + 1) << 48  // TTBR0_EL1: tables and ASID
  }

  /// Writes view `e`'s runs from the running fiber's partition: every region in Wild, page by page,
  /// at its window-B address, read-only where the partition entry is (a read-only grant or channel:
  /// the kernel and its drivers write those pages through the identity map, which EL0 cannot
  /// reach). Each block touched gets a private level-3 table. Runs past `maxRuns` are written but
  /// not recorded (m[5] = 1). False only for a page outside window B.
  static func collectRuns(_ e: Int, _ m: UnsafeMutablePointer<UInt>) -> Bool {
    var count = 0
    var ok = true
    let v2 = viewTables + e * viewPages * 512 + 512
    UserMode.forEachCurrentRegion { base, size, writable in
      guard ok, wild.contains(base, size) else { return }
      let bits = tableOrPage | notGlobal | (writable ? userData : userReadOnly)
      let end = base + size
      var address = base & ~(page - 1)
      while address < end {
        let va = windowB &+ (address &- wild.base)
        guard let p = viewEntry(va, v2, m) else { ok = false; return }
        let blockEnd = (va | (twoMiB - 1)) &+ 1
        let n = min((end &- address &+ page &- 1) / page, (blockEnd &- va) / page)
        for j in 0..<Int(n) { p[j] = (address &+ UInt64(j) * page) | bits }
        if count < maxRuns {
          m[8 + 2 * count] = UInt(bitPattern: p)
          m[9 + 2 * count] = UInt(n)
          count += 1
        } else {
          m[5] = 1  // not all recorded: the next rebuild starts fresh
        }
        address &+= n * page
      }
    }
    m[2] = UInt(count)
    return ok
  }

  /// The level-3 entry for window-B address `va` in a view (its GiB-0 level 2 at `v2`), giving the
  /// view a private, empty level-3 table for the block first if it has none. Nil outside window B
  /// or when the view has no private table left.
  static func viewEntry(_ va: UInt64, _ v2: UnsafeMutablePointer<UInt64>, _ m: UnsafeMutablePointer<UInt>) -> UnsafeMutablePointer<UInt64>? {
    guard va >= windowB, va < windowB + windowSize else { return nil }
    let i = Int(va / twoMiB)
    let own = v2 + 512
    var d = v2[i]
    let t = UnsafeMutablePointer<UInt64>(bitPattern: UInt(d & pageAddress))
    if d & 3 != tableOrPage || t == nil || t! < own || t! >= own + viewBlocks * 512 {
      guard Int(m[3]) < viewBlocks else { return nil }
      let table = own + Int(m[3]) * 512
      m[3] += 1
      for n in 0..<512 { table[n] = 0 }
      d = UInt64(UInt(bitPattern: table)) | tableOrPage
      v2[i] = d
    }
    return UnsafeMutablePointer<UInt64>(bitPattern: UInt(d & pageAddress))! + Int((va / page) & 511)
  }

  /// The level-3 entry for `address` in the shared tables of the cell's GiB, splitting its 2 MiB
  /// block into pages first if it is still a block. Nil outside the GiB or when the pool is empty.
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
