// Sv39 translation in S-mode and U-mode: two identity maps (4 KiB pages, 2 MiB and 1 GiB leaves),
// turned on right after the device tree is read. RISC-V never lets S-mode execute a page with U = 1
// (whatever sstatus.SUM says), and the NPL code is the kernel image's own text, so one table cannot
// serve both modes as it does on aarch64: the kernel runs on a kernel view, U-mode on a U-mode view,
// and the trap path (trap.S) switches satp on the way in and out (docs/decisions/K6-el0-npls.md).
//
//   kernel view (ASID 0)     nothing has U = 1, so sstatus.SUM is never needed and stays 0
//     [0, RAM GiB)           read/write, never executable: every MMIO block of QEMU virt (CLINT,
//                            PLIC, UART, virtio-mmio, the test device, PCIe windows) lies here
//     image text             read + execute
//     rodata                 read
//     everything else        read/write, never executable (RAM GiBs, the rest of the cell's GiB)
//   U-mode view (ASID 1)     S-mode runs only the trap page here (entry, exit, first entry)
//     [0, RAM GiB)           S-only read/write, never executable
//     first text page        S-only read + execute: boot code and the trap path (link.ld)
//     rest of image text     U read + execute
//     rodata                 U read
//     boot stack, tables     S-only read/write (the satp words the trap path reads live here)
//     mode word page         U read-only, backed by __mode_user_page (reads 1; link.ld)
//     kdata, kbss, kheap     S-only read/write: the kernel's own globals and heap
//     data, bss, heap        U read/write (the NPL side's globals and heap, npl.o; build-image)
//     SysTable page          S-only until the first U-mode entry, then U read-only
//     Bridgehead, Wild       S-only read/write (kernel stacks: the trap frame is written here),
//                            except the running U-mode fiber's partition: U read/write
//     other RAM              S-only read/write, never executable
// Per-fiber confinement is the aarch64 design: before any return to U-mode, `enterUser` closes the
// pages it opened for the previous fiber and opens the current fiber's partition (its user stack,
// mapped pages, grants, channels) in the U-mode view, then sfence.vma. With ASIDs the two views
// stay cached side by side and a satp switch needs no fence; a hart without ASIDs gets an
// sfence.vma at every switch (rumpk_trap_words[2]). Assumes: S-mode, satp Bare, nothing mapped yet.

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
  static let userASID: UInt64 = 1

  /// The U-mode view's level-3 tables: consecutive tables cover consecutive 2 MiB blocks from
  /// l3Base; l3Pages entries in all. The SysTable page's entry in whichever table holds it.
  nonisolated(unsafe) static var l3: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var l3Base: UInt64 = 0
  nonisolated(unsafe) static var l3Pages: UInt64 = 0
  nonisolated(unsafe) static var sysTablePTE: UnsafeMutablePointer<UInt64>? = nil
  nonisolated(unsafe) static var wild = Region.empty
  nonisolated(unsafe) static var ready = false
  nonisolated(unsafe) static var hasASIDs = false

  // The U-mode view currently in the tables: which fiber, at which Partition.changes, which Wild
  // ranges are open (at most one per partition slot).
  nonisolated(unsafe) static var appliedFiber: Int32 = -2
  nonisolated(unsafe) static var appliedChanges: UInt64 = 0
  nonisolated(unsafe) static var opened = InlineArray<12, Region>(repeating: .empty)
  nonisolated(unsafe) static var openedCount = 0
  nonisolated(unsafe) static var sealed = false
  nonisolated(unsafe) public private(set) static var resyncs: UInt64 = 0

  static func leaf(_ address: UInt64, _ attributes: UInt64) -> UInt64 { (address >> 12) << 10 | attributes }
  static func pointer(to table: UnsafeMutablePointer<UInt64>) -> UInt64 {
    (UInt64(UInt(bitPattern: table)) >> 12) << 10 | valid
  }
  static func satp(_ root: UnsafeMutablePointer<UInt64>, _ asid: UInt64) -> UInt64 {
    sv39 | asid << 44 | UInt64(UInt(bitPattern: root)) >> 12
  }

  /// Builds both views for `plan` and loads the kernel view. Returns the end of the mapped range
  /// (exclusive), or 0 with satp left Bare (NPLs then stay in S-mode) when the hart has no Sv39,
  /// the cell's image, heap, Bridgehead and Wild are not in one GiB, or the tables do not fit.
  static func enable(ramEnd: UInt64, plan: CellMemoryPlan) -> UInt64 {
    let tables = rumpk_page_tables()
    func table(_ n: Int) -> UnsafeMutablePointer<UInt64> { UnsafeMutablePointer<UInt64>(bitPattern: tables + UInt(n) * UInt(page))! }
    let capacity = Int(UInt64(rumpk_page_tables_end() - tables) / page)
    let kernelL1 = table(0), kernelL2 = table(1), userL1 = table(2), userL2 = table(3)

    let cellGiB = plan.image.base / gib
    let gibBase = cellGiB * gib
    let gibs = min(max((ramEnd &+ gib &- 1) / gib, cellGiB + 1), 256)  // Sv39: identity below 256 GiB
    let textEnd = plan.text.end
    let userTextStart = UInt64(rumpk_user_text_start())
    let stackBottom = UInt64(rumpk_stack_bottom())
    let first = plan.image.base & ~(twoMiB - 1)
    // Kernel view: level 3 only where text and rodata are; user view: up to the end of Wild.
    let kernelLast = (stackBottom + twoMiB - 1) & ~(twoMiB - 1)
    let kernelCount = (kernelLast - first) / twoMiB
    let last = (max(plan.wild.end, plan.heap.end) + twoMiB - 1) & ~(twoMiB - 1)
    let count = (last - first) / twoMiB
    let sysTable = UInt64(SysTableLayout.address) & ~(page - 1)
    let sysTableBlock = sysTable & ~(twoMiB - 1)
    let sysTableInGiB = sysTable / gib == cellGiB
    let sysTableOwnBlock = sysTableInGiB && (sysTableBlock < first || sysTableBlock >= last)
    guard last <= gibBase + gib, 4 + Int(kernelCount + count) + (sysTableOwnBlock ? 1 : 0) <= capacity else {
      Console.put("rumpk: no room for the Sv39 tables; NPLs stay in S-mode\n")
      return 0
    }

    for i in 0..<512 {
      let base = UInt64(i) * gib
      let entry: UInt64 = UInt64(i) < gibs ? leaf(base, kernelData) : 0
      kernelL1[i] = UInt64(i) == cellGiB ? pointer(to: kernelL2) : entry
      userL1[i] = UInt64(i) == cellGiB ? pointer(to: userL2) : entry
    }
    for i in 0..<512 {
      let e = leaf(gibBase + UInt64(i) * twoMiB, kernelData)
      kernelL2[i] = e
      userL2[i] = e
    }

    // Kernel view: text executable, rodata read-only, the rest of those blocks read/write.
    let kernelL3 = table(4)
    for n in 0..<(kernelCount * 512) {
      let address = first + n * page
      let attributes: UInt64
      if address >= plan.image.base && address < textEnd {
        attributes = kernelText
      } else if address >= textEnd && address < stackBottom {
        attributes = kernelReadOnly
      } else {
        attributes = kernelData
      }
      kernelL3[Int(n)] = leaf(address, attributes)
    }
    for b in 0..<kernelCount {
      kernelL2[Int((first - gibBase) / twoMiB + b)] = pointer(to: kernelL3 + Int(b * 512))
    }

    // U-mode view. The mode word's page shows __mode_user_page, whose word is 1 (Runtime/Heap.swift:
    // NPL code allocates from the NPL heap and prints through syscalls); the kernel view keeps the
    // word's own page, 0 since boot.S.
    let modePage = UInt64(rumpk_mode_word_address())
    let modeUserPage = UInt64(rumpk_mode_user_page())
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(modeUserPage))!.pointee = 1
    wild = plan.wild
    l3 = table(4 + Int(kernelCount))
    l3Base = first
    l3Pages = count * 512
    let dataStart = plan.writableShared.base
    for n in 0..<l3Pages {
      let address = first + n * page
      let attributes: UInt64
      if address >= plan.image.base && address < userTextStart {
        attributes = kernelText
      } else if address >= userTextStart && address < textEnd {
        attributes = userText
      } else if address >= textEnd && address < stackBottom {
        attributes = userReadOnly
      } else if address >= dataStart && address < plan.writableShared.end {
        attributes = userData
      } else {
        attributes = kernelData  // kdata, kbss, kheap among others
      }
      l3[Int(n)] = leaf(address, attributes)
    }
    l3[Int((modePage - first) / page)] = leaf(modeUserPage, userReadOnly)
    for b in 0..<count {
      userL2[Int((first - gibBase) / twoMiB + b)] = pointer(to: l3 + Int(b * 512))
    }
    if sysTableOwnBlock {
      let t = l3 + Int(count * 512)
      for n in 0..<512 { t[n] = leaf(sysTableBlock + UInt64(n) * page, kernelData) }
      userL2[Int((sysTableBlock - gibBase) / twoMiB)] = pointer(to: t)
      sysTablePTE = t + Int((sysTable - sysTableBlock) / page)
    } else if sysTableInGiB {
      sysTablePTE = l3 + Int((sysTable - first) / page)
    }

    // Sv39 present? (satp is WARL: a write with an unsupported mode changes nothing.) ASIDs: the
    // bits of an all-ones ASID that stick.
    rumpk_satp_load(satp(kernelL1, 0xFFFF))
    let probe = read_satp()
    guard probe >> 60 == 8 else {
      rumpk_satp_load(0)
      Console.put("rumpk: the hart has no Sv39; NPLs stay in S-mode\n")
      return 0
    }
    hasASIDs = (probe >> 44) & 0xFFFF != 0
    let kernelSATP = satp(kernelL1, kernelASID)
    rumpk_set_trap_words(kernelSATP, satp(userL1, hasASIDs ? userASID : 0), hasASIDs ? 0 : 1)
    rumpk_satp_load(kernelSATP)
    ready = true
    return gibs * gib
  }

  /// Called before every return to U-mode: makes the U-mode view show the running fiber's partition.
  @inline(__always)
  static func enterUser() {
    if UserMode.currentIndex == appliedFiber && Partition.changes == appliedChanges { return }
    resync()
  }

  static func resync() {
    guard ready else { return }
    if !sealed, let pte = sysTablePTE {
      // The SysTable is written once, at boot; from the first U-mode entry on U-mode may read it.
      pte.pointee = pte.pointee & ~(UInt64(0x3FF)) | userReadOnly
      sealed = true
    }
    for i in 0..<openedCount { set(opened[i], kernelData) }
    openedCount = 0
    // The running fiber's slots, read in place (a fiber switch between two U-mode fibers comes
    // through here, so this loop is on the yield path).
    if let slots = UserMode.currentSlots {
      let stride = UserMode.slotStride
      var slot = slots
      let end = slots + Partition.capacity * stride
      while slot < end {
        defer { slot += stride }
        guard slot.load(fromByteOffset: 16, as: UInt8.self) != 0 else { continue }  // .free
        let base = slot.load(as: UInt64.self)
        let size = slot.load(fromByteOffset: 8, as: UInt64.self)
        // Read-only grants and channels stay writable in U-mode, as on aarch64 (the syscall layer
        // enforces read-only). With a separate kernel view U read-only would be possible here, but
        // an ION consumer writes its tail cursor in a channel it may have mapped without the write
        // flag.
        guard size != 0, openedCount < 12, wild.contains(base, size) else { continue }
        let r = Region(base: base, size: size)
        set(r, userData)
        opened[openedCount] = r
        openedCount += 1
      }
    }
    appliedFiber = UserMode.currentIndex
    appliedChanges = Partition.changes
    resyncs &+= 1
    rumpk_tlb_flush()
  }

  /// Sets the attributes of every page of `r` (inside the level-3 range) in the U-mode view.
  static func set(_ r: Region, _ attributes: UInt64) {
    let lo = max(r.base & ~(page - 1), l3Base)
    let hi = min(r.end, l3Base &+ l3Pages &* page)
    guard lo < hi else { return }
    var pte = l3 + Int((lo &- l3Base) / page)
    let last = l3 + Int((hi &- l3Base &+ page &- 1) / page)
    var entry = leaf(lo, attributes)
    while pte < last {
      pte.pointee = entry
      pte += 1
      entry &+= 1 << 10  // the next page's PPN
    }
  }
}

/// First code of a fresh U-mode fiber (trap.S), in S-mode on its kernel stack, before the sret.
@_cdecl("rumpk_user_enter")
public func rumpkUserEnter() {
  UserMode.fiberStarting()
  MMU.enterUser()
}
