// GICv3 for one CPU: the distributor (affinity routing, group 1 on), the boot CPU's redistributor
// (awake, SGIs and PPIs in group 1, all disabled until enabled one by one) and the CPU interface
// through the ICC system registers. Addresses come from the device tree (Board). SPIs (device
// interrupts) stay disabled until a driver attaches one (enableShared); they are routed to the boot
// CPU.

import RumpkArch
import RumpkKernel
import _Volatile

enum GIC {
  nonisolated(unsafe) static var redistributor: UInt = 0  // RD_base of the boot CPU's frame

  // Distributor (GICD_*) and redistributor (GICR_*, SGI frame at RD_base + 64 KiB) offsets.
  static let ctlr: UInt = 0x0000
  static let pidr2: UInt = 0xFFE8
  static let rdTyper: UInt = 0x0008
  static let rdWaker: UInt = 0x0014
  static let sgiFrame: UInt = 0x1_0000
  static let igroupr0: UInt = 0x0080
  static let isenabler0: UInt = 0x0100
  static let icenabler0: UInt = 0x0180
  static let ipriorityr: UInt = 0x0400
  static let icfgr: UInt = 0x0C00
  static let typer: UInt = 0x0004
  static let irouter: UInt = 0x6000
  /// What a device-tree reg must cover: the distributor's 64 KiB frame (up to GICD_PIDR2) and one
  /// redistributor (RD and SGI frames).
  static let distributorBytes: UInt64 = 0x1_0000
  static let frameBytes: UInt64 = 0x2_0000

  // Board holds physical register addresses; the kernel reaches them through MMU's device alias.
  static func load(_ address: UInt) -> UInt32 { VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(address)).load() }
  static func store(_ address: UInt, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(address)).store(value)
  }

  /// Brings the GIC up for the boot CPU with every SGI and PPI disabled. Assumes IRQs are masked
  /// (PSTATE.I) and EL2, if any, left ICC_SRE_EL2.Enable set (boot.S does). Returns false, having
  /// enabled nothing, when the tree names no GICv3, the ICC interface is off, the distributor does
  /// not identify as GICv3/v4, or no redistributor matches this CPU; false too, with a line, when
  /// a register-write or wake wait does not end (the tree named something that is not a working
  /// GICv3), so it cannot hang the cell.
  static func initialize() -> Bool {
    let d = Board.gicDistributor
    guard d != 0, Board.gicRedistributors != 0 else { return false }
    write_icc_sre_el1(read_icc_sre_el1() | 1)  // SRE: system-register interface
    rumpk_isb()
    guard read_icc_sre_el1() & 1 != 0 else { return false }
    let arch = (load(d + pidr2) >> 4) & 0xF
    guard arch == 3 || arch == 4, let rd = findRedistributor() else { return false }
    redistributor = rd

    // GICD_CTLR: ARE first, then the group enables (bit 0 Grp0 / Grp1NS, bit 1 Grp1 / Grp1A, with
    // or without security: the same write works for both views).
    store(d + ctlr, load(d + ctlr) | 0x10)
    guard waitWhile(d + ctlr, bit: 31) else { return stuck() }
    store(d + ctlr, load(d + ctlr) | 0x13)
    guard waitWhile(d + ctlr, bit: 31) else { return stuck() }

    store(rd + rdWaker, load(rd + rdWaker) & ~2)  // ProcessorSleep = 0
    guard waitWhile(rd + rdWaker, bit: 2) else { return stuck() }  // ChildrenAsleep
    let sgi = rd + sgiFrame
    store(sgi + icenabler0, 0xFFFF_FFFF)
    guard waitWhile(rd + ctlr, bit: 3) else { return stuck() }
    store(sgi + igroupr0, 0xFFFF_FFFF)

    write_icc_pmr_el1(0xFF)       // let every priority through
    write_icc_bpr1_el1(0)
    write_icc_ctlr_el1(0)         // EOImode 0: EOIR both drops priority and deactivates
    rumpk_isb()
    write_icc_igrpen1_el1(1)
    rumpk_isb()
    return true
  }

  /// Enables SGI/PPI `intid` (< 32) at `priority` on the boot CPU.
  static func enableLocal(_ intid: UInt32, priority: UInt8) {
    let sgi = redistributor + sgiFrame
    let word = sgi + ipriorityr + UInt(intid & ~3)
    let shift = (intid & 3) * 8
    store(word, load(word) & ~(0xFF << shift) | UInt32(priority) << shift)
    store(sgi + isenabler0, 1 << intid)
  }

  /// INTIDs the distributor implements (GICD_TYPER.ITLinesNumber), at most 1020.
  static var lineCount: UInt32 {
    min(((load(Board.gicDistributor + typer) & 0x1F) + 1) * 32, 1020)
  }

  /// Configures SPI `intid` (32 ..< lineCount) as group 1, edge- or level-triggered, at `priority`,
  /// routed to this CPU, and enables it. Assumes initialize() succeeded.
  static func enableShared(_ intid: UInt32, edge: Bool, priority: UInt8) {
    let d = Board.gicDistributor
    let bit: UInt32 = 1 << (intid % 32)
    let group = d + igroupr0 + UInt(intid / 32) * 4
    store(group, load(group) | bit)
    let word = d + ipriorityr + UInt(intid & ~3)
    let shift = (intid & 3) * 8
    store(word, load(word) & ~(0xFF << shift) | UInt32(priority) << shift)
    let config = d + icfgr + UInt(intid / 16) * 4
    let edgeBit: UInt32 = 2 << ((intid % 16) * 2)
    store(config, edge ? load(config) | edgeBit : load(config) & ~edgeBit)
    let mpidr = read_mpidr_el1()
    let route = mpidr & 0xFF_FFFF | (mpidr >> 32 & 0xFF) << 32
    VolatileMappedRegister<UInt64>(unsafeBitPattern: MMU.device(d + irouter + UInt(intid) * 8)).store(route)
    unmaskShared(intid)
  }

  /// Masks SPI `intid` (phase one of a device interrupt).
  @inline(__always) static func maskShared(_ intid: UInt32) {
    store(Board.gicDistributor + icenabler0 + UInt(intid / 32) * 4, 1 << (intid % 32))
  }

  /// Unmasks SPI `intid`; one that fired while masked is delivered now.
  @inline(__always) static func unmaskShared(_ intid: UInt32) {
    store(Board.gicDistributor + isenabler0 + UInt(intid / 32) * 4, 1 << (intid % 32))
  }

  /// The redistributor frame whose GICR_TYPER affinity is this CPU's MPIDR affinity.
  static func findRedistributor() -> UInt? {
    let mpidr = read_mpidr_el1()
    let affinity = mpidr & 0xFF_FFFF | (mpidr >> 32 & 0xFF) << 24
    var frame = Board.gicRedistributors
    // Board checked the region (no wrap, below the device limit); a frame is read only when all of
    // it lies inside, and a stride from the tree cannot carry the walk past the end.
    while frame < Board.gicRedistributorsEnd && Board.gicRedistributorsEnd - frame >= UInt(frameBytes) {
      let typer = VolatileMappedRegister<UInt64>(unsafeBitPattern: MMU.device(frame + rdTyper)).load()
      if typer >> 32 == affinity { return frame }
      if typer & (1 << 4) != 0 { return nil }  // Last
      let stride = Board.gicRedistributorStride
      let (next, overflow) = frame.addingReportingOverflow(stride != 0 ? stride : (typer & 2 != 0 ? 0x4_0000 : 0x2_0000))
      if overflow { return nil }
      frame = next
    }
    return nil
  }

  /// Polls at most this often for a bit to clear.
  static let maxPolls = 1 << 20

  /// Waits while `bit` of `register` is set (GICD_CTLR.RWP 31, GICR_CTLR.RWP 3, GICR_WAKER.
  /// ChildrenAsleep 2); false when it is still set after maxPolls reads.
  static func waitWhile(_ register: UInt, bit: UInt32) -> Bool {
    var polls = 0
    while load(register) & (1 << bit) != 0 {
      polls += 1
      if polls == maxPolls { return false }
    }
    return true
  }

  /// The line for a GIC whose waits do not end; false, for initialize to return.
  static func stuck() -> Bool {
    Console.put("rumpk: the GICv3 at 0x")
    Console.hex(UInt64(Board.gicDistributor))
    Console.put(" does not finish a write or wake; no interrupt controller (waits poll)\n")
    return false
  }

  /// The INTID of the highest-priority pending group 1 interrupt, now active (1020-1023: none).
  @inline(__always) static func acknowledge() -> UInt32 { UInt32(truncatingIfNeeded: read_icc_iar1_el1() & 0xFF_FFFF) }
  @inline(__always) static func endOfInterrupt(_ intid: UInt32) { write_icc_eoir1_el1(UInt64(intid)) }
}
