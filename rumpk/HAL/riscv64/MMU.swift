// Sv39 translation in S-mode and U-mode: the kernel's identity map and per-fiber U-mode views
// (4 KiB pages, 2 MiB and 1 GiB leaves), turned on right after the device tree is read. RISC-V
// never lets S-mode execute a page with U = 1 (whatever sstatus.SUM says), and U-mode runs some of
// the kernel image's text (the ecall stubs, the runtime), so one table cannot serve both modes as
// on aarch64: the kernel runs on a kernel view, U-mode on a U-mode view, and the trap path
// (trap.S) switches satp on the way in and out (docs/decisions/K6-el0-npls.md). NPL code and data
// live in the NPL windows (docs/decisions/K9-npl-windows.md), which only U-mode views map.
//
//   kernel view (ASID 0)     nothing has U = 1, so sstatus.SUM is never needed and stays 0
//     [0, RAM GiB)           read/write, never executable: every MMIO block of QEMU virt (CLINT,
//                            PLIC, UART, virtio-mmio, the test device, PCIe windows) lies here
//     image text             read + execute
//     rodata                 read
//     everything else        read/write, never executable (RAM GiBs, the rest of the cell's GiB,
//                            the NPL image's load range, Bridgehead, Wild: the kernel reaches NPL
//                            memory at its physical address, UserWindows translates)
//   U-mode views            S-mode runs only the trap page here (entry, exit, first entry)
//   (one per fiber index mod 8, ASIDs 1-8)
//     GiB 0, the windows     window A 0x0800_0000: the NPL image (text U read + execute, rodata U
//                            read, data and bss U read/write) and the NPL heap (U read/write);
//                            window B 0x1000_0000: the view's fiber's partition pages (U
//                            read/write, or U read-only where the partition entry is); no devices
//     [1 GiB, RAM GiB)       S-only read/write, never executable
//     first text page        S-only read + execute: boot code and the trap path (link.ld)
//     ecall stubs page       U read + execute: the only kernel text U-mode runs (link.ld)
//     GOT page               U read (link-time addresses NPL code loads too)
//     rest of text, rodata   S-only (NPL code has its own runtime copy in window A)
//     boot stack, tables     S-only read/write (the satp words the trap path reads live here)
//     mode word page         U read-only, backed by __mode_user_page (reads 1; link.ld)
//     everything else        S-only read/write: kernel data and heap, the NPL image's load range,
//                            Bridgehead, Wild (kernel stacks: the trap frame is written here)
//     SysTable page          S-only until the first U-mode entry, then U read-only
// 1 GiB leaves outside the cell's GiB, 2 MiB leaves wherever a block's attributes are uniform, 4
// KiB pages only where they are not. Per-fiber confinement is the aarch64 design: a U-mode
// template (everything above but the partitions) and `viewCount` views, each its own level 1, its
// own copy of the template's GiB-0 table and private level-3 tables for the window-B blocks that
// hold its fiber's partition pages (the cell's GiB is the template's, shared). Before any return
// to U-mode, `enterUser` points the trap path at the running fiber's view (rumpk_trap_words[1]);
// the view is rebuilt (with the kernel view loaded, then sfence.vma for its ASID) only when its
// fiber or Partition.changes differ, so a switch between two U-mode fibers is one satp write on
// the way out. With ASIDs the views stay cached side by side; a hart without enough ASID bits runs
// every view under ASID 0 and gets an sfence.vma at every switch (rumpk_trap_words[2]). Assumes:
// S-mode, satp Bare, nothing mapped yet.

import RumpkArch
import RumpkABI
import RumpkKernel

enum MMU {
  static let gib: UInt64 = 1 << 30
  static let twoMiB: UInt64 = 2 << 20
  static let page: UInt64 = 4096
  // PTE bits (Sv39). Leaves carry A and D so no hart ever needs to write them back.
  static let valid: UInt64 = 1 << 0
  static let read: UInt64 = 1 << 1
  static let write: UInt64 = 1 << 2
  static let execute: UInt64 = 1 << 3
  static let user: UInt64 = 1 << 4
  static let accessed: UInt64 = 1 << 6
  static let dirty: UInt64 = 1 << 7

  static let kernelData: UInt64 = valid | read | write | accessed | dirty
  static let kernelText: UInt64 = valid | read | execute | accessed
  static let kernelReadOnly: UInt64 = valid | read | accessed
  static let userText: UInt64 = kernelText | user
  static let userReadOnly: UInt64 = kernelReadOnly | user
  static let userData: UInt64 = kernelData | user
  static let sv39: UInt64 = 8 << 60
  static let kernelASID: UInt64 = 0

  // Tables: kernel L1 and L2 (the cell's GiB), the U-mode template's L2 (a view's L1 is the
  // kernel's but for the cell's GiB), the views' metadata page, the views, then a pool of level-3
  // tables handed out in order (never returned) for the 2 MiB blocks that need 4 KiB pages.
  nonisolated(unsafe) static var kernelL1: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var gibs = 0
  /// Level-2 entries in use in the cell's GiB (RAM and the cell); those above are invalid in the
  /// kernel view and the views, and not even written in the template.
  nonisolated(unsafe) static var blocks = 512
  nonisolated(unsafe) static var userL2: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  /// The U-mode template's GiB-0 table: window A; each view starts from a copy (window B is per view).
  nonisolated(unsafe) static var userLow: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  /// The NPL windows (K9): A holds the NPL image and heap, B aliases Wild.
  static let windowA: UInt64 = 0x0800_0000
  static let windowB: UInt64 = 0x1000_0000
  static let windowSize: UInt64 = 0x0800_0000
  nonisolated(unsafe) static var imageWindow = UserWindow.none
  nonisolated(unsafe) static var partitionWindow = UserWindow.none
  nonisolated(unsafe) static var gibBase: UInt64 = 0
  nonisolated(unsafe) static var cellGiB = 0
  nonisolated(unsafe) static var pool: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var poolEnd: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var sysTablePage: UInt64 = 0
  nonisolated(unsafe) static var wild = Region.empty
  nonisolated(unsafe) static var ready = false
  nonisolated(unsafe) static var hasASIDs = false

  // U-mode views: view e belongs to the fibers whose index is e mod viewCount and runs under ASID
  // e + 1 (0 without ASIDs). Its tables: level 1, the GiB-0 level 2 (windows), `viewBlocks`
  // private level-3 tables for window B.
  // Metadata of view e, `metaWords` words: fiber + 1 (0: empty), Partition.changes, run count,
  // private tables in use, the satp value, 1 when more runs were written than recorded, 2 unused, then `maxRuns` (first entry, page count)
  // pairs: the open runs of U pages.
  static let viewCount = 8
  /// Private level-3 tables per view: one for every 2 MiB block of window B (Wild is
  /// CellMemoryPlan.wildBytes, 32 MiB), so any partition opens in full.
  static let viewBlocks = 16
  static let maxRuns = 24
  static let metaWords = 64  // 8 + 2 * maxRuns used; a power of two, so no multiply on a switch
  static let viewPages = 2 + viewBlocks
  nonisolated(unsafe) static var meta: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var viewTables: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var appliedFiber: Int32 = -2
  nonisolated(unsafe) static var appliedChanges: UInt64 = 0
  nonisolated(unsafe) static var sealed = false
  nonisolated(unsafe) public private(set) static var rebuilds: UInt64 = 0

  static func leaf(_ address: UInt64, _ attributes: UInt64) -> UInt64 { (address >> 12) << 10 | attributes }
  static func pointer(to table: UnsafeMutablePointer<UInt64>) -> UInt64 {
    (UInt64(UInt(bitPattern: table)) >> 12) << 10 | valid
  }
  static func satp(_ root: UnsafeMutablePointer<UInt64>, _ asid: UInt64) -> UInt64 {
    sv39 | asid << 44 | UInt64(UInt(bitPattern: root)) >> 12
  }
  /// A valid entry with none of R, W, X points at the next level; otherwise it is a leaf.
  @inline(__always)
  static func isPointer(_ e: UInt64) -> Bool { e & (valid | read | write | execute) == valid }

  /// Writes `count` consecutive entries from `entry` on, the PPN advancing `step` (in 4 KiB pages)
  /// per entry. Table fills are most of the boot's own work: the bulk goes eight entries per
  /// iteration (csr.h).
  static func fillPages(_ to: UnsafeMutablePointer<UInt64>, _ count: Int, _ entry: UInt64, step: UInt64 = 1) {
    let d = step << 10
    let bulk = to + (count & ~7)
    var e = rumpk_fill_entries(to, bulk, entry, d)
    var p = bulk
    let end = to + count
    while p < end {
      p.pointee = e
      p += 1
      e &+= d
    }
  }

  /// Zeroes `count` entries.
  static func zeroTable(_ to: UnsafeMutablePointer<UInt64>, _ count: Int) {
    let bulk = to + (count & ~7)
    rumpk_zero_entries(to, bulk)
    var p = bulk
    while p < to + count {
      p.pointee = 0
      p += 1
    }
  }

  /// A level-3 table from the pool, or nil when the pool is empty.
  static func takeTable() -> UnsafeMutablePointer<UInt64>? {
    guard pool < poolEnd else { return nil }
    let t = pool
    pool += 512
    return t
  }

  /// Maps the 2 MiB blocks [first, last) of the cell's GiB in the level-2 table `l2`: a megapage
  /// where `attributes` is constant over the block, else a pool table of 4 KiB pages filled segment
  /// by segment. `points` are the addresses where `attributes` may change, ascending (unused ones
  /// UInt64.max); `attributes` is asked only at page starts and is constant over the pages between
  /// two consecutive points rounded up to pages. False when the pool ran out.
  /// `physical - first` is added to every address mapped (0: identity), and `l2` covers the GiB
  /// from `l2Base` (the cell's GiB unless given).
  static func mapBlocks(_ l2: UnsafeMutablePointer<UInt64>, _ first: UInt64, _ last: UInt64,
                        _ unrounded: InlineArray<8, UInt64>, physical: UInt64? = nil, l2Base: UInt64? = nil,
                        _ attributes: (UInt64) -> UInt64) -> Bool {
    let delta = (physical ?? first) &- first
    let l2VA = l2Base ?? gibBase
    var points = unrounded
    for k in 0..<8 where points[k] != UInt64.max { points[k] = (points[k] &+ page &- 1) & ~(page - 1) }
    var k = 0  // the first point above the current address
    var base = first
    while base < last {
      let end = base + twoMiB
      while k < 8 && points[k] <= base { k += 1 }
      let slot = l2 + Int((base - l2VA) / twoMiB)
      let nextPoint = k < 8 ? points[k] : UInt64.max
      if nextPoint >= end {
        // Uniform up to the block that holds the next point: one run of megapages.
        let runEnd = min(last, nextPoint & ~(twoMiB - 1))
        fillPages(slot, Int((runEnd - base) / twoMiB), leaf(base &+ delta, attributes(base)), step: twoMiB / page)
        base = runEnd
        continue
      }
      guard let t = takeTable() else { return false }
      var address = base
      while address < end {
        while k < 8 && points[k] <= address { k += 1 }
        let next = k < 8 ? min(points[k], end) : end
        let bits = attributes(address)
        if bits == 0 {
          zeroTable(t + Int((address - base) / page), Int((next - address) / page))
        } else {
          fillPages(t + Int((address - base) / page), Int((next - address) / page), leaf(address &+ delta, bits))
        }
        address = next
      }
      slot.pointee = pointer(to: t)
      base = end
    }
    return true
  }

  /// Builds the kernel view and the U-mode template for `plan` and loads the kernel view. Returns
  /// the end of the mapped range (exclusive), or 0 with satp left Bare (the cell then stops: NPL code is linked at window A)
  /// when the hart has no Sv39, the cell's image, heap, Bridgehead and Wild are not in one GiB, or
  /// the tables do not fit.
  /// 1 GiB leaves outside the cell's GiB, 2 MiB leaves inside it wherever a block's attributes are
  /// uniform, 4 KiB pages only in the blocks with a boundary inside (the image's sections, the end
  /// of the NPL heap). Wild stays in megapages, S-only, in the template; a view splits a Wild block
  /// into a private table when a partition page inside it is opened (`viewEntry`), and `resync`
  /// splits the SysTable's block of the template when it seals it.
  static func enable(ramEnd: UInt64, plan: CellMemoryPlan) -> UInt64 {
    let tables = rumpk_page_tables()
    func table(_ n: Int) -> UnsafeMutablePointer<UInt64> { UnsafeMutablePointer<UInt64>(bitPattern: tables + UInt(n) * UInt(page))! }
    kernelL1 = table(0)
    let kernelL2 = table(1)
    userLow = table(2)
    userL2 = table(3)
    meta = table(4)
    viewTables = table(5)
    pool = table(5 + viewCount * viewPages)
    poolEnd = UnsafeMutablePointer<UInt64>(bitPattern: rumpk_page_tables_end() & ~UInt(page - 1))!
    for e in 0..<viewCount { meta[e * metaWords] = 0 }

    let cellGiB = plan.image.base / gib
    self.cellGiB = Int(cellGiB)
    gibBase = cellGiB * gib
    let gibs = min(max(ramEnd / gib + (ramEnd % gib != 0 ? 1 : 0), cellGiB + 1), 256)  // Sv39: identity below 256 GiB
    self.gibs = Int(gibs)
    let image = plan.image.base
    let textEnd = plan.text.end
    let stubs = UInt64(rumpk_user_stubs_start()), got = UInt64(rumpk_got_start())
    let stackBottom = UInt64(rumpk_stack_bottom())
    let modePage = UInt64(rumpk_mode_word_address())
    let modeUserPage = UInt64(rumpk_mode_user_page())
    let first = image & ~(twoMiB - 1)
    let last = (max(plan.wild.end, plan.heap.end) + twoMiB - 1) & ~(twoMiB - 1)
    let nplLoad = UInt64(rumpk_npl_load())
    let imageBytes = plan.heap.end &- nplLoad
    guard last <= gibBase + gib, cellGiB > 0, plan.heap.end >= nplLoad, imageBytes <= windowSize,
          plan.wild.size <= windowSize else {
      Console.put("rumpk: the cell spans GiBs or outgrows the NPL windows\n")
      return 0
    }

    fillPages(kernelL1, Int(gibs), leaf(0, kernelData), step: gib / page)
    zeroTable(kernelL1 + Int(gibs), 512 - Int(gibs))
    kernelL1[Int(cellGiB)] = pointer(to: kernelL2)
    // The cell's GiB is mapped up to the end of RAM (and of the cell); above, nothing exists.
    let ramSpan = ramEnd > gibBase ? min(ramEnd - gibBase, gib) : gib
    blocks = Int(min(max((ramSpan + twoMiB - 1) / twoMiB, (last - gibBase) / twoMiB), 512))
    fillPages(kernelL2, blocks, leaf(gibBase, kernelData), step: 512)
    fillPages(userL2, blocks, leaf(gibBase, kernelData), step: 512)
    zeroTable(kernelL2 + blocks, 512 - blocks)  // the template's are never read: see userPage, fresh

    // Kernel view: text executable, rodata read-only, the rest read/write. U-mode view: the table
    // in the header; the mode word's page is patched below.
    var kernelPoints = InlineArray<8, UInt64>(repeating: UInt64.max)
    kernelPoints[0] = image
    kernelPoints[1] = textEnd
    kernelPoints[2] = stackBottom
    var userPoints = InlineArray<8, UInt64>(repeating: UInt64.max)
    // Ascending, in link.ld order.
    userPoints[0] = image
    userPoints[1] = stubs
    userPoints[2] = got
    userPoints[3] = textEnd
    userPoints[4] = stackBottom
    userPoints[5] = modePage
    userPoints[6] = modePage + page
    let kernelLast = (stackBottom + twoMiB - 1) & ~(twoMiB - 1)
    let mapped = mapBlocks(kernelL2, first, kernelLast, kernelPoints) { a in
      a >= image && a < textEnd ? kernelText : a >= textEnd && a < stackBottom ? kernelReadOnly : kernelData
    } && mapBlocks(userL2, first, last, userPoints) { a in
      // S-mode runs only the trap page here; U-mode runs only the ecall stubs: NPL code has its own
      // runtime in window A (build-image), so the rest of the kernel's text and rodata is S-only.
      if a >= image && a < stubs { return kernelText }
      if a >= stubs && a < got { return userText }
      if a >= got && a < textEnd { return userReadOnly }  // the GOT: link-time addresses, NPL code's too
      if a >= textEnd && a < stackBottom { return kernelReadOnly }
      return kernelData  // boot stack, tables, kdata, kbss, kheap, the NPL load range, Bridgehead, Wild
    }
    // Window A of the U-mode template: the NPL image (one pool table), then the heap, which link.ld
    // starts on a 2 MiB boundary (megapages).
    let textEndA = UInt64(rumpk_npl_text_end())
    let dataStartA = UInt64(rumpk_data_start())
    let bssEndA = (UInt64(rumpk_npl_bss_end()) + page - 1) & ~(page - 1)
    let heapA = UInt64(rumpk_heap_start())
    let endA = (windowA + imageBytes + page - 1) & ~(page - 1)
    zeroTable(userLow, 512)
    var windowPoints = InlineArray<8, UInt64>(repeating: UInt64.max)
    windowPoints[0] = textEndA
    windowPoints[1] = dataStartA
    windowPoints[2] = bssEndA
    windowPoints[3] = heapA
    windowPoints[4] = endA
    let windowMapped = mapped && mapBlocks(userLow, windowA, (endA + twoMiB - 1) & ~(twoMiB - 1), windowPoints,
                                           physical: nplLoad, l2Base: 0) { a in
      a < textEndA ? userText : a < dataStartA ? userReadOnly : a < bssEndA ? userData
        : a >= heapA && a < endA ? userData : 0
    }
    guard windowMapped else {
      Console.put("rumpk: no room for the Sv39 tables\n")
      return 0
    }
    imageWindow = UserWindow(user: windowA, kernel: nplLoad, size: imageBytes)
    partitionWindow = UserWindow(user: windowB, kernel: plan.wild.base, size: plan.wild.size)
    // The mode word's page shows __mode_user_page, whose word is 1 (Runtime/Heap.swift: NPL code
    // allocates from the NPL heap and prints through syscalls); the kernel view keeps the word's
    // own page, 0 since boot.S.
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(modeUserPage))!.pointee = 1
    if let pte = userPage(modePage, split: false) { pte.pointee = leaf(modeUserPage, userReadOnly) }
    wild = plan.wild
    let sysTable = UInt64(SysTableLayout.address) & ~(page - 1)
    sysTablePage = sysTable / gib == cellGiB ? sysTable : 0

    // Sv39 present? (satp is WARL: a write with an unsupported mode changes nothing.) ASIDs: the
    // bits of an all-ones ASID that stick.
    rumpk_satp_load(satp(kernelL1, 0xFFFF))
    let probe = read_satp()
    guard probe >> 60 == 8 else {
      rumpk_satp_load(0)
      Console.put("rumpk: the hart has no Sv39\n")
      return 0
    }
    hasASIDs = (probe >> 44) & 0xFFFF >= UInt64(viewCount)  // ASIDs 1...viewCount fit
    let kernelSATP = satp(kernelL1, kernelASID)
    // Until resync names a fiber's view, the U-mode word is the kernel view: no U pages at all.
    rumpk_set_trap_words(kernelSATP, kernelSATP, hasASIDs ? 0 : 1)
    rumpk_satp_load(kernelSATP)
    ready = true
    return gibs * gib
  }

  /// The U-mode template's level-3 entry for `address` (in the cell's GiB), splitting the megapage
  /// that holds it into a pool table with the same attributes first when `split` is set. Nil
  /// outside the mapped blocks of the GiB, for a megapage when `split` is clear, or when the pool
  /// is empty. The caller fences.
  /// Inlined into its two callers: out of line, the machine outliner shared its epilogue with
  /// rumpk_syscall's, one jump more on every syscall.
  @inline(__always)
  static func userPage(_ address: UInt64, split: Bool) -> UnsafeMutablePointer<UInt64>? {
    let i = (address &- gibBase) / twoMiB
    guard address >= gibBase, i < UInt64(blocks) else { return nil }
    let slot = userL2 + Int(i)
    if !isPointer(slot.pointee) {
      guard split, slot.pointee & valid != 0, let t = takeTable() else { return nil }
      fillPages(t, 512, slot.pointee)
      slot.pointee = pointer(to: t)
    }
    let t = UnsafeMutablePointer<UInt64>(bitPattern: UInt((slot.pointee >> 10) << 12))!
    return t + Int((address / page) & 511)
  }

  /// Called before every return to U-mode: makes the U-mode view show the running fiber's partition.
  @inline(__always)
  static func enterUser() {
    if UserMode.currentIndex == appliedFiber && Partition.changes == appliedChanges { return }
    resync()
  }

  /// Points the trap path at the running fiber's view, rebuilding the view first when it is
  /// stale (`refresh`). Runs on the kernel view. Out of line: the syscall path only tests.
  @inline(never)
  static func resync() {
    guard ready else { return }
    let me = UserMode.currentIndex
    let changes = Partition.changes
    let e = Int(UInt32(bitPattern: me) % UInt32(viewCount))
    let m = meta + e * metaWords
    if m[0] != UInt64(bitPattern: Int64(me) &+ 1) || m[1] != changes || !sealed {
      refresh(e, m, me, changes)  // a tail call: the fast path below needs no saved registers
      return
    }
    apply(m, me, changes)
  }

  /// Makes view `m` the one the trap path loads for U-mode, for fiber `me` at `changes`.
  @inline(__always)
  static func apply(_ m: UnsafeMutablePointer<UInt64>, _ me: Int32, _ changes: UInt64) {
    rumpk_set_user_satp(m[4])
    appliedFiber = me
    appliedChanges = changes
  }

  /// The slow part of `resync`, kept out of line so a switch to a valid view saves no registers:
  /// seals the SysTable at the first U-mode entry, rebuilds view `e` for fiber `me`, applies it.
  @inline(never)
  static func refresh(_ e: Int, _ m: UnsafeMutablePointer<UInt64>, _ me: Int32, _ changes: UInt64) {
    if !sealed {
      // The SysTable is written once, at boot; from the first U-mode entry on U-mode may read it.
      // Done in the template before any view copies it.
      if sysTablePage != 0, let pte = userPage(sysTablePage, split: true) { pte.pointee = leaf(sysTablePage, userReadOnly) }
      sealed = true
    }
    if m[0] != UInt64(bitPattern: Int64(me) &+ 1) || m[1] != changes {
      rebuild(e, m, me)
      m[1] = changes
    }
    apply(m, me, changes)
  }

  /// Makes view `e` (metadata `m`) show fiber `me`'s partition, then drops the view's cached
  /// translations. The view is not live (the kernel view is loaded).
  static func rebuild(_ e: Int, _ m: UnsafeMutablePointer<UInt64>, _ me: Int32) {
    let owner = UInt64(bitPattern: Int64(me) &+ 1)
    if m[0] == owner && m[5] == 0 {
      // Same fiber, a partition changed: clear its old runs, write them afresh.
      var r = m + 8
      for _ in 0..<Int(m[2]) {
        let p = UnsafeMutablePointer<UInt64>(bitPattern: UInt(r[0]))!
        zeroTable(p, Int(r[1]))
        r += 2
      }
    } else {
      // Another fiber, or more runs than the metadata could record: start from the template.
      fresh(e, m)
      m[0] = owner
    }
    if !collectRuns(e, m) { Console.put("rumpk: a U-mode partition lies outside window B\n") }
    if hasASIDs { rumpk_tlb_flush_asid(UInt64(e + 1)) } else { rumpk_tlb_flush() }
    rebuilds &+= 1
  }

  /// Resets view `e`'s tables: level 1 the kernel's but for GiB 0 (the view's own copy of the
  /// template's windows table) and the cell's GiB (the template's, shared), no private tables.
  static func fresh(_ e: Int, _ m: UnsafeMutablePointer<UInt64>) {
    let v1 = viewTables + e * viewPages * 512
    let v0 = v1 + 512
    for i in 0..<gibs { v1[i] = kernelL1[i] }
    zeroTable(v1 + gibs, 512 - gibs)
    copyTable(v0, userLow)
    v1[0] = pointer(to: v0)
    v1[cellGiB] = pointer(to: userL2)
    m[2] = 0
    m[3] = 0
    m[5] = 0
    m[4] = satp(v1, hasASIDs ? UInt64(e + 1) : 0)
  }

  /// Copies the first `count` entries of a table (a multiple of 4).
  @inline(never)
  static func copyTable(_ to: UnsafeMutablePointer<UInt64>, _ from: UnsafeMutablePointer<UInt64>, _ count: Int = 512) {
    var d = to
    var s = from
    let end = to + ((count + 3) & ~3)
    while d < end {
      d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]
      d += 4
      s += 4
    }
  }

  /// Writes view `e`'s runs from the running fiber's partition: every region in Wild, page by page,
  /// at its window-B address, U read-only where the partition entry is (a read-only grant or
  /// channel: the kernel and its drivers write those pages through the kernel view). Each block
  /// touched gets a private level-3 table. Runs past `maxRuns` are written but not recorded (m[5] =
  /// 1). False only for a page outside window B.
  static func collectRuns(_ e: Int, _ m: UnsafeMutablePointer<UInt64>) -> Bool {
    var count = 0
    var ok = true
    let v0 = viewTables + e * viewPages * 512 + 512
    UserMode.forEachCurrentRegion { base, size, writable in
      guard ok, wild.contains(base, size) else { return }
      let bits = writable ? userData : userReadOnly
      let end = base + size
      var address = base & ~(page - 1)
      while address < end {
        let va = windowB &+ (address &- wild.base)
        guard let p = viewEntry(va, v0, m) else { ok = false; return }
        let blockEnd = (va | (twoMiB - 1)) &+ 1
        let n = min((end &- address &+ page &- 1) / page, (blockEnd &- va) / page)
        fillPages(p, Int(n), leaf(address, bits))
        if count < maxRuns {
          m[8 + 2 * count] = UInt64(UInt(bitPattern: p))
          m[9 + 2 * count] = n
          count += 1
        } else {
          m[5] = 1  // not all recorded: the next rebuild starts fresh
        }
        address &+= n * page
      }
    }
    m[2] = UInt64(count)
    return ok
  }

  /// The level-3 entry for window-B address `va` in a view (its GiB-0 table at `v0`), giving the
  /// view a private, empty level-3 table for the block first if it has none. Nil outside window B
  /// or when the view has no private table left.
  static func viewEntry(_ va: UInt64, _ v0: UnsafeMutablePointer<UInt64>, _ m: UnsafeMutablePointer<UInt64>) -> UnsafeMutablePointer<UInt64>? {
    guard va >= windowB, va < windowB + windowSize else { return nil }
    let i = Int(va / twoMiB)
    let own = v0 + 512
    var d = v0[i]
    let t = UnsafeMutablePointer<UInt64>(bitPattern: UInt((d >> 10) << 12))
    if !isPointer(d) || t == nil || t! < own || t! >= own + viewBlocks * 512 {
      guard m[3] < UInt64(viewBlocks) else { return nil }
      let table = own + Int(m[3]) * 512
      m[3] += 1
      zeroTable(table, 512)
      d = pointer(to: table)
      v0[i] = d
    }
    return UnsafeMutablePointer<UInt64>(bitPattern: UInt((d >> 10) << 12))! + Int((va / page) & 511)
  }
}

/// First code of a fresh U-mode fiber (trap.S), in S-mode on its kernel stack, before the sret.
@_cdecl("rumpk_user_enter")
public func rumpkUserEnter() {
  UserMode.fiberStarting()
  MMU.enterUser()
}
