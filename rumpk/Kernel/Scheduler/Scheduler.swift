// The Spectrum scheduler: cooperative fibers, strict priority between tiers (Photon > Matter >
// Gravity > Void), round-robin within a tier, no periodic tick. The kernel context (the boot stack,
// index -1) runs the idle loop: drain events, wake sleepers whose deadline passed, run the next ready
// fiber, or ask the platform to wait until the next deadline or event. A yielding fiber switches
// straight to the next ready fiber without passing through the kernel context.

import RumpkABI
import RumpkPlatform

public enum Scheduler {
  static let kernelContext: Int32 = -1
  nonisolated(unsafe) static var current: Int32 = -1
  nonisolated(unsafe) static var kernelSP: UnsafeMutablePointer<UnsafeMutableRawPointer?> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var reclaimPending: Int32 = -1
  nonisolated(unsafe) public private(set) static var halted = false
  nonisolated(unsafe) public private(set) static var haltCode: UInt64 = 0
  nonisolated(unsafe) public private(set) static var switches: UInt64 = 0
  nonisolated(unsafe) public private(set) static var overrunReports: UInt64 = 0
  nonisolated(unsafe) static var budgetTicks = InlineArray<4, UInt64>(repeating: 0)
  nonisolated(unsafe) public static var reportOverruns = true

  static func initialize() -> Bool {
    guard let k = Bridgehead.allocate(UnsafeMutableRawPointer?.self, count: 1) else { return false }
    kernelSP = k
    current = kernelContext
    reclaimPending = -1
    halted = false
    haltCode = 0
    switches = 0
    overrunReports = 0
    guard ReadyQueues.initialize(capacity: max(Fibers.capacity, 1)) else { return false }
    let hz = max(rumpk_platform_ticks_per_second(), 1)
    for tier in Tier.allCases {
      budgetTicks[Int(tier.rawValue)] = tier.budgetNanoseconds.map { $0 / 1000 * hz / 1_000_000 } ?? .max
    }
    return true
  }

  /// The running fiber, nil in the kernel context.
  public static var currentFiber: FiberID? { current < 0 ? nil : Fibers.id(of: Int(current)) }

  /// Starts a fiber with exactly the given rights (kernel use: the NPL main fiber, tests). The
  /// syscall path narrows rights before it calls this. `user`: NPL code, which runs in user mode
  /// where the platform has one (Fibers.userStacks); kernel fibers (drivers) never do.
  /// `stackPages` overrides the cell's default stack size (the NPL's main fiber gets more).
  /// A `daemon` (a driver fiber) does not keep the cell alive: run() returns once only daemons are left.
  public static func spawn(entry: UInt64, argument: UInt64, tier: Tier, promises: Promises,
                           unveil: UnveilSet = UnveilSet(), stackPages: Int? = nil,
                           user: Bool = false, daemon: Bool = false) throws(Errno) -> FiberID {
    let i = try Fibers.create(entry: entry, argument: argument, tier: tier, promises: promises,
                              parent: current, unveil: unveil, stackPages: stackPages, user: user,
                              daemon: daemon)
    ReadyQueues.push(i)
    return Fibers.id(of: i)
  }

  /// The idle loop, in the kernel context. Returns the halt code once a fiber halts the cell, or 0
  /// when every fiber but daemons has ended (waiting or sleeping daemons are left where they are).
  public static func run() -> UInt64 {
    while !halted {
      Events.drain()
      wakeExpired(now: rumpk_platform_time_ns())
      if let next = ReadyQueues.pop() {
        switchTo(next)
        continue
      }
      if Fibers.live == Fibers.daemons { break }
      rumpk_platform_wait(DeadlineQueue.earliest ?? 0)
    }
    return haltCode
  }

  /// The current fiber goes to the back of its tier's queue; the best ready fiber runs.
  /// A fiber alone at the top tier keeps the CPU without a switch.
  @_optimize(speed)
  public static func yieldCurrent() {
    let me = Int(current)
    guard me >= 0 else { return }
    if Events.pending { Events.drain() }
    if DeadlineQueue.count > 0 { wakeExpired(now: rumpk_platform_time_ns()) }
    guard let next = ReadyQueues.rotate(me, tier: Int(Fibers.table[me].tier.rawValue)) else { return }
    Fibers.table[me].state = .ready
    switchTo(next)
  }

  /// Sleeps the current fiber until `deadline` (monotonic ns). A passed deadline is a plain yield.
  public static func sleepCurrent(until deadline: UInt64) {
    let me = Int(current)
    guard me >= 0 else { return }
    if deadline <= rumpk_platform_time_ns() { return yieldCurrent() }
    Fibers.table[me].state = .sleeping
    Fibers.table[me].deadline = deadline
    DeadlineQueue.insert(me)
    block()
  }

  /// Blocks the current fiber until an event from `source` arrives; returns the event's value.
  public static func waitCurrent(source: UInt32) -> UInt64 {
    let me = Int(current)
    guard me >= 0 else { return 0 }
    if let value = Events.takeLatched(source) { return value }
    Fibers.table[me].state = .waiting
    Fibers.table[me].waitSource = source
    Events.register(waiter: me, source: source)
    block()
    return Fibers.table[me].wakeValue
  }

  /// Ends the current fiber; its stack is reclaimed by whatever runs next.
  public static func exitCurrent(_ reason: FiberEnd) -> Never {
    let me = Int(current)
    Fibers.table[me].state = .dead
    Fibers.table[me].end = reason
    reclaimPending = Int32(me)
    block()
    fatalError("a dead fiber was resumed")
  }

  /// Ends fiber `i` (not the current one): off its queue, everything it owned returned.
  static func kill(_ i: Int, _ reason: FiberEnd) {
    switch Fibers.table[i].state {
    case .ready: ReadyQueues.remove(i)
    case .sleeping: DeadlineQueue.remove(i)
    case .waiting: Events.unregister(waiter: i)
    default: break
    }
    Fibers.table[i].end = reason
    Fibers.table[i].state = .dead
    Fibers.reclaim(i)
  }

  /// Ends the cell: control returns to `run()` in the kernel context, which returns `code`.
  public static func halt(code: UInt64) -> Never {
    halted = true
    haltCode = code
    if current >= 0 {
      let me = Int(current)
      Fibers.table[me].state = .dead
      Fibers.table[me].end = .returned
      reclaimPending = Int32(me)
      switchTo(-1)
    }
    StatusReport.halted(code: code)
    rumpk_platform_halt(code)
  }

  /// Gives the CPU away without requeueing the current fiber (it sleeps, waits or died).
  static func block() {
    if !halted, let next = ReadyQueues.pop() {
      switchTo(next)
    } else {
      switchTo(-1)
    }
  }

  /// Wakes, before their deadline, the sleeping fibers that hold `region` as a named channel: a
  /// kernel service published something there (a device completion) that they may be waiting for.
  /// Their yield(deadline) returns early, as the ABI allows. Cheap when nothing sleeps.
  public static func wakeSleepers(holding region: Region) {
    var i = 0
    while i < DeadlineQueue.count {
      let f = Int(DeadlineQueue.heap[i])
      if Fibers.table[f].partition.find(region, kind: .named) != nil {
        DeadlineQueue.remove(f)
        Fibers.table[f].state = .ready
        ReadyQueues.push(f)
        i = 0  // the heap was reordered
      } else {
        i += 1
      }
    }
  }

  /// Moves pending sleepers whose deadline is due to their ready queues.
  static func wakeExpired(now: UInt64) {
    while let first = DeadlineQueue.first, Fibers.table[first].deadline <= now {
      DeadlineQueue.remove(first)
      Fibers.table[first].state = .ready
      ReadyQueues.push(first)
    }
  }

  /// Switches from the current context to `next` (-1: the kernel context), charging the outgoing
  /// fiber's run time against its tier budget. Fiber entries are reached through one pointer each:
  /// re-reading `Fibers.table` after every store would recompute the same address.
  @inline(__always)
  static func switchTo(_ next: Int) {
    let me = Int(current)
    let table = Fibers.table
    let now = rumpk_switch_ticks()
    let from: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    if me >= 0 {
      let outgoing = table + me
      charge(outgoing, me, now)
      from = UnsafeMutableRawPointer(outgoing).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    } else {
      from = kernelSP
    }
    let to: UnsafeMutableRawPointer?
    if next >= 0 {
      let incoming = table + next
      incoming.pointee.state = .running
      incoming.pointee.runStart = now
      to = incoming.pointee.sp
    } else {
      to = kernelSP.pointee
    }
    current = Int32(truncatingIfNeeded: next)
    switches &+= 1
    rumpk_context_switch(from, to)
    afterSwitch()
  }

  /// Runs first thing after any switch lands: frees the stack of a fiber that just ended.
  @inline(__always)
  static func afterSwitch() {
    if reclaimPending >= 0 {
      let dead = Int(reclaimPending)
      reclaimPending = -1
      if Fibers.table[dead].state == .dead { Fibers.reclaim(dead) }
    }
  }

  /// Assumes `fiber` (index `i`) is leaving the CPU and has a stack (every fiber does); its canary
  /// is checked and its run since `runStart` charged. A tier without a budget has budgetTicks = max.
  @inline(__always)
  static func charge(_ fiber: UnsafeMutablePointer<Fiber>, _ i: Int, _ now: UInt64) {
    if UnsafePointer<UInt64>(bitPattern: UInt(fiber.pointee.stack.base)).unsafelyUnwrapped.pointee != Fibers.stackCanary {
      stackOverflow(i)
    }
    let ran = now &- fiber.pointee.runStart
    if ran > fiber.pointee.worstRunTicks { fiber.pointee.worstRunTicks = ran }
    if ran > budgetTicks[unchecked: Int(fiber.pointee.tier.rawValue)] { overrun(i, ran) }
  }

  static func stackOverflow(_ i: Int) -> Never {
    Console.put("rumpk: fiber "); Console.dec(UInt64(i)); Console.put(" overflowed its ")
    Console.dec(Fibers.table[i].stack.size / 1024); Console.put(" KiB stack; stopping the cell\n")
    StatusReport.stopped(.stackOverflow)
    rumpk_platform_halt(StatusReport.Stop.stackOverflow.rawValue)
  }

  static func overrun(_ i: Int, _ ticks: UInt64) {
    Fibers.table[i].overruns &+= 1
    overrunReports &+= 1
    guard reportOverruns else { return }
    let hz = max(rumpk_platform_ticks_per_second(), 1)
    let us = ticks / max(hz / 1_000_000, 1)
    Console.put("rumpk: fiber "); Console.dec(UInt64(i)); Console.put(" ("); Console.put(tierName(Fibers.table[i].tier))
    Console.put(") ran "); Console.dec(us); Console.put(" us, over its ")
    Console.dec(Fibers.table[i].tier.budgetNanoseconds! / 1000); Console.put(" us budget\n")
  }

  public static func tierName(_ t: Tier) -> StaticString {
    switch t {
    case .photon: return "photon"
    case .matter: return "matter"
    case .gravity: return "gravity"
    case .void: return "void"
    }
  }
}
