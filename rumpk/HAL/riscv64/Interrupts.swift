// Interrupts and the tickless timer on riscv64 (S-mode). The timer is armed only for the
// scheduler's next deadline: nothing fires while no fiber sleeps. Interrupts stay globally off
// (sstatus.SIE = 0) while kernel code and fibers run; they are taken only inside the idle wait
// below, and sie.STIE is set only for that wait.
//
// The timer is stimecmp (Sstc) when the boot hart's device-tree ISA string lists Sstc and a probe
// read of the CSR does not trap (M-mode may not have set menvcfg.STCE); otherwise SBI set_timer
// (TIME extension, else the legacy call). No timer at all (no SBI timer): waits poll the clock.
//
// Two-phase entry: the handler acknowledges, quietens the source, pushes a 16-byte event onto the
// kernel's event ring and returns. Waking fibers happens later, in Scheduler.run.
//
// Event sources: 0 = timer (value: the time CSR at entry, as aarch64); PLIC source n (1 ... 63) =
// source n (value: n), for drivers that enable their source (PLIC.enable), quieten their device on
// the event and enable the source again (phase one masks it, see handle).

import RumpkArch
import RumpkKernel

enum Interrupts {
  static let timerSource: UInt32 = 0
  static let supervisorTimer: UInt64 = 1 << 5     // sie/sip.STIE/STIP, scause 5
  static let supervisorExternal: UInt64 = 1 << 9  // sie/sip.SEIE/SEIP, scause 9
  static let supervisorSoftware: UInt64 = 1 << 1  // sie/sip.SSIE/SSIP, scause 1
  static let sbiBase: UInt64 = 0x10
  static let sbiTime: UInt64 = 0x5449_4D45
  static let sbiLegacySetTimer: UInt64 = 0

  enum Timer { case none, sstc, sbiTime, sbiLegacy }
  nonisolated(unsafe) static var timer = Timer.none
  nonisolated(unsafe) static var enabled = false
  nonisolated(unsafe) static var external = false
  /// The tick value the timer is armed for; UInt64.max = disarmed.
  nonisolated(unsafe) static var armed: UInt64 = .max
  nonisolated(unsafe) static var timerCount: UInt64 = 0
  /// Worst time - armed deadline seen at handler entry: how late the timer interrupt was taken.
  nonisolated(unsafe) static var worstEntryTicks: UInt64 = 0
  /// Set while probing a CSR that may not exist: an illegal-instruction trap then skips it.
  nonisolated(unsafe) static var probing = false
  nonisolated(unsafe) static var probeFaulted = false

  /// Installs the trap vector, picks the timer, disarms it and brings the PLIC up with every source
  /// disabled. Assumes sstatus.SIE = 0 (as OpenSBI enters S-mode).
  static func initialize() {
    rumpk_irq_mask()
    write_sie(0)
    write_stvec(UInt64(rumpk_trap_vector()))  // direct mode: the vector is 4-byte aligned
    Clock.setTimebase(Board.timebase)
    timer = pickTimer()
    arm(.max)
    external = PLIC.initialize()
    if external { rumpk_sie_set(supervisorExternal) }
    enabled = timer != .none
    if external {
      Console.put("rumpk: PLIC 0x")
      Console.hex(UInt64(Board.plic))
      Console.put(" context ")
      Console.dec(UInt64(Board.plicContext))
      Console.put(", ")
    } else {
      Console.put("rumpk: no PLIC, ")
    }
    switch timer {
    case .sstc: Console.put("timer stimecmp (Sstc)")
    case .sbiTime: Console.put("timer SBI TIME")
    case .sbiLegacy: Console.put("timer SBI legacy")
    case .none: Console.put("no timer: waits poll the clock")
    }
    Console.put(", timebase ")
    Console.dec(Board.timebase)
    Console.put(" Hz\n")
  }

  static func pickTimer() -> Timer {
    if Board.sstc {
      probing = true
      probeFaulted = false
      _ = read_stimecmp()
      probing = false
      if !probeFaulted { return .sstc }
    }
    let base = rumpk_sbi(sbiBase, 3, sbiTime, 0, 0)  // probe_extension
    if base.error == 0 && base.value != 0 { return .sbiTime }
    if base.error != 0 { return .sbiLegacy }  // SBI before v0.2: only the legacy calls exist
    let legacy = rumpk_sbi(sbiBase, 3, sbiLegacySetTimer, 0, 0)
    return legacy.error == 0 && legacy.value != 0 ? .sbiLegacy : .none
  }

  /// Programs the timer compare value (UInt64.max: disarmed, which also drops a pending STIP).
  static func arm(_ ticks: UInt64) {
    armed = ticks
    switch timer {
    case .sstc: write_stimecmp(ticks)
    case .sbiTime: _ = rumpk_sbi(sbiTime, 0, ticks, 0, 0)
    case .sbiLegacy: _ = rumpk_sbi(sbiLegacySetTimer, 0, ticks, 0, 0)
    case .none: break
    }
  }

  /// The idle wait (rumpk_platform_wait): arms the timer for `deadline` (ns, 0 = none), sleeps,
  /// and takes whatever interrupt ended the sleep. WFI runs with sstatus.SIE still clear: a pending
  /// enabled interrupt ends it without being taken, so one that fires before the WFI cannot be lost
  /// (the enable-then-WFI order would sleep through it). The handler runs at the enable.
  static func idle(until deadline: UInt64) {
    if deadline != 0 {
      let ticks = ticks(ns: deadline)
      if ticks != armed { arm(ticks) }
      rumpk_sie_set(supervisorTimer)
    } else if armed != .max {
      arm(.max)
    }
    rumpk_wfi()
    rumpk_irq_unmask()
    rumpk_irq_mask()
    rumpk_sie_clear(supervisorTimer)
  }

  /// Phase one, from the trap vector (scause interrupt bit set): acknowledge, quieten, push an
  /// event. Never blocks; a full event ring drops the event (Events counts it) and the scheduler
  /// still finds expired deadlines by reading the clock.
  static func handle(_ code: UInt64) {
    switch code {
    case 5:
      let now = read_time()
      let late = now &- armed
      arm(.max)  // disarm: STIP drops; the scheduler arms the next deadline
      timerCount &+= 1
      if late > worstEntryTicks { worstEntryTicks = late }
      Events.push(EventDescriptor(source: timerSource, value: now))
    case 9:
      // Device interrupts are level-triggered: a source stays asserted until its driver quietens
      // the device in phase two, so phase one masks it (PLIC.disable) before completing, or the
      // claim loop would never end. The driver unmasks it (rumpk_platform_irq_unmask) when it is
      // done; a source nobody attached stays masked.
      while true {
        let irq = PLIC.claim()
        if irq == 0 { return }  // nothing (more) pending
        PLIC.disable(irq)
        PLIC.complete(irq)
        if let source = DeviceInterrupts.source(of: irq) {
          Events.push(EventDescriptor(source: source, value: UInt64(irq)))
        }
      }
    default:
      rumpk_sip_clear(supervisorSoftware)  // nobody sends IPIs yet
    }
  }

  /// rumpk_platform_irq_attach: a PLIC interrupt specifier is one cell, the source number.
  static func attach(_ cells: UnsafePointer<UInt8>?, _ count: Int, source: UInt32) -> UInt32 {
    guard external, let cells, count == 4 else { return 0 }
    let irq = DeviceInterrupts.cell(cells, 0)
    guard irq != 0, irq <= Board.plicSources, DeviceInterrupts.attach(irq: irq, source: source) else { return 0 }
    PLIC.enable(irq, priority: 1)
    return irq
  }

  /// Timer ticks at or after `ns` nanoseconds (rounded up, so the timer never fires before the
  /// kernel's clock says the deadline passed).
  static func ticks(ns: UInt64) -> UInt64 {
    let second: UInt64 = 1_000_000_000
    let hz = Board.timebase
    return ns / second &* hz &+ (ns % second &* hz &+ second - 1) / second
  }

  /// The debug lines at halt (DeviceInterrupts.report).
  static func report() {
    guard enabled else { return }
    DeviceInterrupts.report(timerInterrupts: timerCount, worstEntryTicks: worstEntryTicks)
  }
}
