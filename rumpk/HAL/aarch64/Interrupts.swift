// Interrupts and the tickless timer. Only the EL1 virtual timer is enabled, and it is armed only for
// the scheduler's next deadline: nothing fires while no fiber sleeps. IRQs stay masked (PSTATE.I)
// while kernel code and fibers run; they are taken only inside the idle wait below.
//
// Two-phase entry: the handler acknowledges, quietens the source, pushes a 16-byte event onto the
// kernel's event ring and ends the interrupt. Waking fibers happens later, in Scheduler.run.
//
// Event sources: 0 = timer (value: CNTVCT at entry); an SPI a driver attached (rumpk_platform_irq_attach,
// DeviceInterrupts) = the source the driver chose (value: the INTID). The SPI stays masked from phase
// one until the driver unmasks it, so a level-triggered device cannot interrupt again before its
// driver has run.

import RumpkArch
import RumpkKernel

enum Interrupts {
  static let timerSource: UInt32 = 0
  nonisolated(unsafe) static var enabled = false
  nonisolated(unsafe) static var hz: UInt64 = 1
  nonisolated(unsafe) static var timerCount: UInt64 = 0
  /// Worst CNTVCT - CNTV_CVAL seen at handler entry: how late the timer interrupt was taken.
  nonisolated(unsafe) static var worstEntryTicks: UInt64 = 0

  /// Sets the timer to a known disarmed state and brings the GIC up with the timer PPI enabled.
  /// Without a GICv3 in the tree `enabled` stays false and waits poll the counter.
  static func initialize() {
    write_cntv_ctl_el0(0)
    hz = max(read_cntfrq_el0(), 1)
    guard GIC.initialize() else { return }
    GIC.enableLocal(Board.timerINTID, priority: 0x80)
    enabled = true
    Console.put("rumpk: GICv3 distributor 0x")
    Console.hex(UInt64(Board.gicDistributor))
    Console.put(" redistributor 0x")
    Console.hex(UInt64(GIC.redistributor))
    Console.put(", timer INTID ")
    Console.dec(UInt64(Board.timerINTID))
    Console.put("\n")
  }

  /// The idle wait (rumpk_platform_wait): arms the timer for `deadline` (ns, 0 = none), sleeps,
  /// and takes whatever interrupt ended the sleep. WFI runs with IRQs still masked: a pending
  /// interrupt ends it without being taken, so one that fires before the WFI cannot be lost (the
  /// unmask-then-WFI order would sleep through it). The handler runs at the unmask.
  static func idle(until deadline: UInt64) {
    if deadline != 0 {
      write_cntv_cval_el0(ticks(ns: deadline))
      write_cntv_ctl_el0(1)  // ENABLE, IMASK clear
    } else {
      write_cntv_ctl_el0(0)
    }
    rumpk_isb()
    rumpk_wfi()
    rumpk_irq_unmask()
    rumpk_irq_mask()
  }

  /// Phase one, from the IRQ vector: everything pending is acknowledged, turned into an event
  /// and ended. Never blocks; a full event ring drops the event (Events counts it) and the
  /// scheduler still finds expired deadlines by reading the clock.
  static func handle() {
    while true {
      let intid = GIC.acknowledge()
      if intid >= 1020 { return }  // spurious: nothing (more) pending
      if intid == Board.timerINTID {
        let now = read_cntvct_el0()
        let late = now &- read_cntv_cval_el0()
        write_cntv_ctl_el0(0)  // disarm: the level drops; the scheduler arms the next deadline
        timerCount &+= 1
        if late > worstEntryTicks { worstEntryTicks = late }
        Events.push(EventDescriptor(source: timerSource, value: now))
      } else if intid >= 32, let source = DeviceInterrupts.source(of: intid) {
        GIC.maskShared(intid)
        Events.push(EventDescriptor(source: source, value: UInt64(intid)))
      }
      GIC.endOfInterrupt(intid)
    }
  }

  /// rumpk_platform_irq_attach: a GIC interrupt specifier is three cells, <type number flags>; only
  /// SPIs (type 0) are device interrupts a cell can own. Flags 1/2 are edge, 4/8 level.
  static func attach(_ cells: UnsafePointer<UInt8>?, _ count: Int, source: UInt32) -> UInt32 {
    guard enabled, let cells, count == 12 else { return 0 }
    func cell(_ i: Int) -> UInt32 { DeviceInterrupts.cell(cells, i) }
    guard cell(0) == 0, cell(1) < 988 else { return 0 }
    let intid = 32 + cell(1)
    guard intid < GIC.lineCount, DeviceInterrupts.attach(irq: intid, source: source) else { return 0 }
    GIC.enableShared(intid, edge: cell(2) & 3 != 0, priority: 0xA0)
    return intid
  }

  /// Counter ticks at or after `ns` nanoseconds (rounded up, so the timer never fires before the
  /// kernel's clock says the deadline passed).
  static func ticks(ns: UInt64) -> UInt64 {
    let second: UInt64 = 1_000_000_000
    return ns / second &* hz &+ (ns % second &* hz &+ second - 1) / second
  }

  /// The debug lines at halt (DeviceInterrupts.report).
  static func report() {
    guard enabled else { return }
    DeviceInterrupts.report(timerInterrupts: timerCount, worstEntryTicks: worstEntryTicks)
  }
}
