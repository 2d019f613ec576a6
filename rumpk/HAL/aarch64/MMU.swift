// Stage-1 translation at EL1 and EL0: an identity map (4 KiB granule, 39-bit VA), turned on together
// with the caches right after the device tree is read.
//   [0, 1 GiB)            Device-nGnRnE, never executable, EL1 only: every MMIO block of QEMU virt
//                         (GIC, UART, RTC, virtio-mmio, PCIe windows) lies here.
//   the GiB of the cell   a level-2 table of 2 MiB blocks, Normal write-back, EL1 only; where EL0
//                         and EL1 differ (the image, heap, Bridgehead, Wild, the SysTable page) a
//                         level-3 table of 4 KiB pages:
//                           image text          EL0 and EL1 read + execute
//                           rodata              EL0 and EL1 read
//                           boot stack, tables  EL1 only
//                           data, bss, heap     EL0 and EL1 read/write (the NPL code shares them)
//                           SysTable page       EL1 only until the first EL0 entry, then read-only
//                           Bridgehead, Wild    EL1 only, except the running EL0 fiber's partition
//   other RAM GiBs        Normal, EL1 only, 1 GiB blocks (up to 4 GiB at least).
// Per-fiber confinement is one shared table whose Wild pages follow the running fiber: before any
// return to EL0, `enterUser` closes the pages it opened for the previous fiber and opens the current
// fiber's partition (its user stack, mapped pages, grants, channels), then flushes the TLB. Nothing
// changes while the same fiber keeps returning to EL0 with an unchanged partition
// (docs/decisions/K6-el0-npls.md). Assumes: EL1, MMU off, IRQs masked, nothing cached yet.

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

  nonisolated(unsafe) static var l3: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  /// The 2 MiB-aligned start of the range the level-3 tables cover, their count (consecutive
  /// tables cover consecutive 2 MiB blocks from l3Base), and the SysTable page's table slot.
  nonisolated(unsafe) static var l3Base: UInt64 = 0
  nonisolated(unsafe) static var l3Pages: UInt64 = 0
  nonisolated(unsafe) static var sysTablePTE: UnsafeMutablePointer<UInt64>? = nil
  nonisolated(unsafe) static var wild = Region.empty
  nonisolated(unsafe) static var ready = false

  // The EL0 view currently in the tables: which fiber, at which Partition.changes, which Wild
  // ranges are open (at most one per partition slot).
  nonisolated(unsafe) static var appliedFiber: Int32 = -2
  nonisolated(unsafe) static var appliedChanges: UInt64 = 0
  nonisolated(unsafe) static var opened = InlineArray<12, Region>(repeating: .empty)
  nonisolated(unsafe) static var openedCount = 0
  nonisolated(unsafe) static var sealed = false
  nonisolated(unsafe) public private(set) static var resyncs: UInt64 = 0

  /// Builds the tables for `plan` and turns the MMU, data and instruction caches on. Returns the
  /// end of the Normal range (exclusive). Without room for the level-3 tables (or a cell outside
  /// one GiB) it keeps 2 MiB blocks: EL0 then sees nothing of RAM and NPLs cannot run at EL0.
  static func enable(ramEnd: UInt64, plan: CellMemoryPlan) -> UInt64 {
    let tables = rumpk_page_tables()
    let l1 = UnsafeMutablePointer<UInt64>(bitPattern: tables)!
    let l2 = UnsafeMutablePointer<UInt64>(bitPattern: tables + 4096)!
    l3 = UnsafeMutablePointer<UInt64>(bitPattern: tables + 8192)!
    let l3Capacity = UInt64(rumpk_page_tables_end() - tables) / page - 2
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
    for i in 0..<512 {
      l2[i] = (gibBase + UInt64(i) * twoMiB) | block | kernelData
    }
    wild = plan.wild
    let first = plan.image.base & ~(twoMiB - 1)
    let last = (max(plan.wild.end, plan.heap.end) + twoMiB - 1) & ~(twoMiB - 1)
    let count = (last - first) / twoMiB
    let table = UInt64(SysTableLayout.address) & ~(page - 1)
    let tableBlock = table & ~(twoMiB - 1)
    let sysTableOwnBlock = table / gib == cellGiB && (tableBlock < first || tableBlock >= last)
    guard last <= gibBase + gib, count + (sysTableOwnBlock ? 1 : 0) <= l3Capacity else {
      Console.put("rumpk: no room for level-3 tables; NPLs cannot run at EL0\n")
      return turnOn(l1, gibs)
    }
    l3Base = first
    l3Pages = count * 512
    let textEnd = plan.text.end
    let stackBottom = UInt64(rumpk_stack_bottom())
    let dataStart = plan.writableShared.base
    for n in 0..<l3Pages {
      let address = first + n * page
      let attributes: UInt64
      if address >= plan.image.base && address < textEnd {
        attributes = userText
      } else if address >= textEnd && address < stackBottom {
        attributes = userReadOnly
      } else if address >= dataStart && address < plan.writableShared.end {
        attributes = userData
      } else {
        attributes = kernelData
      }
      l3[Int(n)] = address | tableOrPage | attributes
    }
    for b in 0..<count {
      l2[Int((first - gibBase) / twoMiB + b)] = UInt64(UInt(bitPattern: l3 + Int(b * 512))) | tableOrPage
    }
    if sysTableOwnBlock {
      let t = l3 + Int(count * 512)
      for n in 0..<512 { t[n] = (tableBlock + UInt64(n) * page) | tableOrPage | kernelData }
      l2[Int((tableBlock - gibBase) / twoMiB)] = UInt64(UInt(bitPattern: t)) | tableOrPage
      sysTablePTE = t + Int((table - tableBlock) / page)
    } else if table / gib == cellGiB {
      sysTablePTE = l3 + Int((table - first) / page)
    }
    ready = true
    return turnOn(l1, gibs)
  }

  static func turnOn(_ l1: UnsafeMutablePointer<UInt64>, _ gibs: UInt64) -> UInt64 {
    // TCR_EL1: T0SZ 25 (39-bit VA, walk starts at level 1), walks write-back cacheable and inner
    // shareable, TG0 4 KiB, TTBR1 walks off (EPD1, TG1 4 KiB), IPS = the CPU's PA range (≤ 48 bits).
    let pa = min(read_id_aa64mmfr0_el1() & 0xF, 5)
    let tcr: UInt64 = 25 | 1 << 8 | 1 << 10 | 3 << 12 | 0 << 14 | 1 << 23 | 2 << 30 | pa << 32
    rumpk_mmu_on(mair, tcr, UInt64(UInt(bitPattern: l1)))
    return gibs * gib
  }

  /// Called before every return to EL0: makes the tables show the running fiber's partition.
  @inline(__always)
  static func enterUser() {
    if UserMode.currentIndex == appliedFiber && Partition.changes == appliedChanges { return }
    resync()
  }

  static func resync() {
    guard ready else { return }
    if !sealed, let pte = sysTablePTE {
      // The SysTable is written once, at boot; from the first EL0 entry on it is read-only for all.
      pte.pointee = pte.pointee & ~(el0 | readOnly | neverExecute) | userReadOnly
      sealed = true
    }
    for i in 0..<openedCount { set(opened[i], kernelData) }
    openedCount = 0
    UserMode.forEachCurrentRegion { base, size, _ in
      // Read-only grants stay writable at EL0: AP cannot say "EL1 read/write, EL0 read-only", and
      // the kernel (drivers) must keep writing shared channel pages while another fiber runs.
      let r = Region(base: base, size: size)
      guard openedCount < 12, wild.contains(base, size) else { return }
      set(r, userData)
      opened[openedCount] = r
      openedCount += 1
    }
    appliedFiber = UserMode.currentIndex
    appliedChanges = Partition.changes
    resyncs &+= 1
    rumpk_tlb_flush()
  }

  /// Sets the attributes of every page of `r` (inside the level-3 range).
  static func set(_ r: Region, _ attributes: UInt64) {
    var address = r.base & ~(page - 1)
    while address < r.end {
      let n = (address &- l3Base) / page
      if address >= l3Base && n < l3Pages { l3[Int(n)] = address | tableOrPage | attributes }
      address += page
    }
  }
}

/// First code of a fresh EL0 fiber (switch.S), at EL1 on its kernel stack, before the eret.
@_cdecl("rumpk_el0_enter")
public func rumpkEL0Enter() {
  UserMode.fiberStarting()
  MMU.enterUser()
}
