// The Spectrum scheduler on the real hosted kernel (real context switches, real clock): tier
// priority, round-robin, deadlines, idle wait, budgets, halting, 10,000 fibers, and a randomized
// comparison against a reference model.

import RumpkABI
import RumpkHosted
@testable import RumpkKernel
import TestSupport
import XCTest

nonisolated(unsafe) var trace: [UInt64] = []

func sys(_ n: Syscall, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0) -> Int64 {
  SyscallDispatch.dispatch(UInt64(n.rawValue), SyscallArgs(a, b, c, d))
}

func spawnFiber(_ f: @convention(c) (UInt64) -> Void, _ arg: UInt64, _ tier: Tier, _ promises: Promises = .all) -> FiberID {
  try! Scheduler.spawn(entry: KernelHarness.address(f), argument: arg, tier: tier, promises: promises)
}

final class SchedulerTests: XCTestCase {
  override func setUp() { trace = [] }

  func testOneFiberRunsAndTheLoopReturnsWhenAllEnded() {
    KernelHarness.boot()
    _ = spawnFiber({ trace.append($0) }, 42, .matter)
    XCTAssertEqual(Scheduler.run(), 0)
    XCTAssertEqual(trace, [42])
    XCTAssertEqual(Fibers.live, 0)
    XCTAssertEqual(WildAllocator.freePages, Int(WildAllocator.region.size / pageSize), "stacks come back")
  }

  func testStrictPriorityAcrossTiers() {
    KernelHarness.boot()
    // Spawned lowest first; each records its tier.
    for tier in [Tier.void, .gravity, .matter, .photon] {
      _ = spawnFiber({ trace.append($0) }, tier.rawValue, tier)
    }
    _ = Scheduler.run()
    XCTAssertEqual(trace, [0, 1, 2, 3])
  }

  func testRoundRobinWithinATier() {
    KernelHarness.boot()
    let worker: @convention(c) (UInt64) -> Void = { id in
      for round in 0..<3 {
        trace.append(id * 10 + UInt64(round))
        _ = sys(.yield)
      }
    }
    for id in 1...3 { _ = spawnFiber(worker, UInt64(id), .matter) }
    _ = Scheduler.run()
    XCTAssertEqual(trace, [10, 20, 30, 11, 21, 31, 12, 22, 32])
  }

  nonisolated(unsafe) static var victims: [FiberID] = []

  func testKillingAReadyFiberKeepsTheOrderOfTheOthers() {
    KernelHarness.boot()
    // Fiber 1 kills fibers 3 and 5 (ready, in the middle and at the tail of the queue) and yields.
    let worker: @convention(c) (UInt64) -> Void = { id in
      trace.append(id * 10)
      if id == 1 { for v in SchedulerTests.victims { Scheduler.kill(v.index, .killed) } }
      _ = sys(.yield)
      trace.append(id * 10 + 1)
    }
    SchedulerTests.victims = []
    var ids: [FiberID] = []
    for id in 1...5 { ids.append(spawnFiber(worker, UInt64(id), .matter)) }
    SchedulerTests.victims = [ids[2], ids[4]]
    _ = Scheduler.run()
    XCTAssertEqual(trace, [10, 20, 40, 11, 21, 41])
  }

  func testRoundRobinSurvivesRingWrapAround() {
    KernelHarness.boot()
    // Far more yields than ring slots: the ring counters wrap many times over.
    let worker: @convention(c) (UInt64) -> Void = { id in
      for round in 0..<UInt64(2_000) {
        if round % 500 == 0 { trace.append(id * 10_000 + round) }
        _ = sys(.yield)
      }
    }
    for id in 1...3 { _ = spawnFiber(worker, UInt64(id), .gravity) }
    _ = Scheduler.run()
    XCTAssertEqual(trace, [0, 500, 1000, 1500].flatMap { r in [1, 2, 3].map { UInt64($0) * 10_000 + UInt64(r) } })
  }

  func testYieldDoesNotGiveTheCPUToALowerTier() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in trace.append(100); _ = sys(.yield); trace.append(101) }, 0, .photon)
    _ = spawnFiber({ _ in trace.append(200) }, 0, .void)
    _ = Scheduler.run()
    XCTAssertEqual(trace, [100, 101, 200])
  }

  func testSleepersWakeInDeadlineOrderAndTheIdleWaitBlocks() {
    KernelHarness.boot()
    let sleeper: @convention(c) (UInt64) -> Void = { ms in
      _ = sys(.yield, rumpk_now() + ms * 1_000_000)
      trace.append(ms)
    }
    let start = DispatchTime.now().uptimeNanoseconds
    for ms: UInt64 in [30, 10, 50, 20, 40] { _ = spawnFiber(sleeper, ms, .gravity) }
    let switchesBefore = Scheduler.switches
    _ = Scheduler.run()
    let elapsedMs = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
    XCTAssertEqual(trace, [10, 20, 30, 40, 50])
    XCTAssertGreaterThanOrEqual(elapsedMs, 50)
    // Tickless: the idle loop waited on deadlines instead of spinning through the scheduler.
    XCTAssertLessThan(Scheduler.switches - switchesBefore, 40)
  }

  func testAHigherTierSleeperPreemptsAtTheNextYield() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in _ = sys(.yield, rumpk_now() + 5_000_000); trace.append(1) }, 0, .photon)
    _ = spawnFiber({ _ in
      let until = rumpk_now() + 30_000_000
      while rumpk_now() < until {
        trace.append(2)
        _ = sys(.yield)
        if trace.contains(1) { break }
      }
      trace.append(3)
    }, 0, .void)
    _ = Scheduler.run()
    XCTAssertEqual(trace.last, 3)
    XCTAssertTrue(trace.contains(1))
    XCTAssertLessThan(trace.firstIndex(of: 1)!, trace.count - 1, "photon woke before void finished")
  }

  func testHaltEndsTheRunWithTheCodeFromAnyFiber() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in _ = sys(.yield); trace.append(1) }, 0, .matter)
    _ = spawnFiber({ _ in _ = sys(.halt, 9); trace.append(99) }, 0, .matter)
    XCTAssertEqual(Scheduler.run(), 9)
    XCTAssertFalse(trace.contains(99))
  }

  func testBudgetOverrunIsRecorded() {
    KernelHarness.boot()
    let id = spawnFiber({ _ in
      let until = rumpk_now() + 4_000_000  // 4 ms, over Photon's 2 ms
      while rumpk_now() < until {}
      _ = sys(.yield)
    }, 0, .photon)
    let ok = spawnFiber({ _ in _ = sys(.yield) }, 0, .void)
    _ = Scheduler.run()
    XCTAssertEqual(Fibers.overruns(id), 1)
    XCTAssertEqual(Fibers.overruns(ok), 0, "Void has no budget")
    XCTAssertGreaterThanOrEqual(Scheduler.overrunReports, 1)
  }

  func testTenThousandFibers() {
    KernelHarness.boot(maxFibers: 10_000, stackPages: 8, wildBytes: 400 << 20)
    let f: @convention(c) (UInt64) -> Void = { n in
      _ = sys(.yield)
      trace.append(n)
    }
    for i in 0..<10_000 { _ = spawnFiber(f, UInt64(i), Tier(rawValue: UInt64(i % 4))!) }
    XCTAssertEqual(Fibers.live, 10_000)
    XCTAssertThrowsError(try Scheduler.spawn(entry: KernelHarness.address(f), argument: 0, tier: .void, promises: [])) {
      XCTAssertEqual($0 as? Errno, .eagain)
    }
    _ = Scheduler.run()
    XCTAssertEqual(trace.count, 10_000)
    XCTAssertEqual(Set(trace).count, 10_000)
    // Strict priority: every Photon fiber finished before any Void fiber.
    let lastPhoton = trace.lastIndex { $0 % 4 == 0 }!
    let firstVoid = trace.firstIndex { $0 % 4 == 3 }!
    XCTAssertLessThan(lastPhoton, firstVoid)
    XCTAssertLessThanOrEqual(Kernel.fiberStateBytes, 1280, "about 1 KB of kernel state per fiber")
  }

  /// Random spawns, yields and exits against a reference model of strict priority + FIFO per tier.
  func testRandomizedAgainstReferenceModel() {
    for seed in 1...20 {
      KernelHarness.boot(maxFibers: 128)
      trace = []
      var rng = SplitMix64(seed: UInt64(seed))
      // Each fiber's behaviour: a number of yields before it ends, encoded in its argument.
      var model = ReferenceScheduler()
      for i in 0..<Int(rng.next() % 40 + 5) {
        let tier = Tier(rawValue: rng.next() % 4)!
        let yields = rng.next() % 4
        let arg = UInt64(i) << 8 | yields
        _ = spawnFiber({ arg in
          for _ in 0..<(arg & 0xFF) {
            trace.append(arg >> 8)
            _ = sys(.yield)
          }
          trace.append(arg >> 8)
        }, arg, tier)
        model.spawn(id: UInt64(i), tier: Int(tier.rawValue), yields: Int(yields))
      }
      _ = Scheduler.run()
      XCTAssertEqual(trace, model.run(), "seed \(seed)")
    }
  }
}

/// Strict priority between tiers, FIFO within one; a yield puts the fiber at its tier's tail and it
/// keeps running when nothing of its tier or higher is ready.
struct ReferenceScheduler {
  var queues: [[(id: UInt64, yields: Int)]] = [[], [], [], []]
  mutating func spawn(id: UInt64, tier: Int, yields: Int) { queues[tier].append((id, yields)) }
  mutating func run() -> [UInt64] {
    var out: [UInt64] = []
    while let t = queues.firstIndex(where: { !$0.isEmpty }) {
      var f = queues[t].removeFirst()
      while true {
        out.append(f.id)
        if f.yields == 0 { break }
        f.yields -= 1
        if queues[0...t].allSatisfy(\.isEmpty) { continue }
        queues[t].append(f)
        break
      }
    }
    return out
  }
}

func rumpk_now() -> UInt64 { UInt64(sys(.time)) }
