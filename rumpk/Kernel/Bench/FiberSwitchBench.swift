// The cost of a fiber switch inside the kernel, at two levels: the context switch alone (two
// contexts handing the CPU to each other with rumpk_context_switch: callee-saved registers and the
// stack pointer, what every switch executes), and a yield between two kernel fibers of one tier
// (scheduler + context switch: requeue, pick, budget charge, stack canary; no trap, no page-table
// view). The bench guest measures the yield between two user-mode fibers, which adds the trap and
// the view change (docs/decisions/K6-el0-npls.md). Run only when the HAL found
// `rumpk.bench=switch` in the boot arguments; under `-icount shift=0,sleep=off` the printed
// nanoseconds are instructions.

import RumpkABI
import RumpkPlatform

public enum FiberSwitchBench {
  nonisolated(unsafe) public static var requested = false
  static let rounds: UInt64 = 1000
  nonisolated(unsafe) static var partnerDone = false
  nonisolated(unsafe) static var perSwitch: UInt64 = 0

  /// Assumes the kernel is initialized and the scheduler idle (no fiber runs). Runs two kernel
  /// fibers to completion, prints one `bench:` line and leaves the fiber table as it found it
  /// (both fibers end and are reclaimed).
  static func run() {
    contextSwitch()
    partnerDone = false
    let partner = UInt64(UInt(bitPattern: unsafeBitCast(fiberSwitchBenchPartner as @convention(c) (UInt64) -> Void, to: UnsafeRawPointer.self)))
    let leader = UInt64(UInt(bitPattern: unsafeBitCast(fiberSwitchBenchLeader as @convention(c) (UInt64) -> Void, to: UnsafeRawPointer.self)))
    do throws(Errno) {
      _ = try Scheduler.spawn(entry: leader, argument: 0, tier: .matter, promises: .stdio)
      _ = try Scheduler.spawn(entry: partner, argument: 0, tier: .matter, promises: .stdio)
    } catch {
      Console.put("bench: kernel fiber switch: cannot spawn the fibers\n")
      return
    }
    _ = Scheduler.run()
    Console.put("bench: kernel fiber switch (yield between two kernel fibers): ")
    Console.dec(perSwitch); Console.put(" ns\n")
  }

  /// The measuring fiber: `rounds` yields there and back, then the partner is told to stop.
  static func lead() {
    Scheduler.yieldCurrent()  // the partner starts and parks in its loop
    let t0 = rumpk_platform_time_ns()
    for _ in 0..<rounds { Scheduler.yieldCurrent() }
    perSwitch = (rumpk_platform_time_ns() &- t0) / (2 * rounds)
    partnerDone = true
  }

  static func partner() {
    while !partnerDone { Scheduler.yieldCurrent() }
  }

  nonisolated(unsafe) static var mainSP: UnsafeMutableRawPointer? = nil
  nonisolated(unsafe) static var otherSP: UnsafeMutableRawPointer? = nil

  /// The context switch alone: this context and one on a Wild page switch to each other `rounds`
  /// times; the other context is abandoned (its page freed) once the loop ends. Assumes the
  /// scheduler is idle.
  static func contextSwitch() {
    guard let base = WildAllocator.allocate(pages: 1) else { return }
    let other: @convention(c) (UInt64) -> Void = fiberSwitchBenchBouncer
    otherSP = rumpk_context_prepare(UnsafeMutableRawPointer(bitPattern: UInt(base + pageSize)), other, 0)
    rumpk_context_adopt_if_linked(otherSP, UnsafeMutableRawPointer(bitPattern: UInt(base)), Int(pageSize))
    rumpk_context_switch(&mainSP, otherSP)  // the other context starts and switches straight back
    let t0 = rumpk_platform_time_ns()
    for _ in 0..<rounds { rumpk_context_switch(&mainSP, otherSP) }
    let perSwitch = (rumpk_platform_time_ns() &- t0) / (2 * rounds)
    rumpk_context_retire_if_linked(otherSP)
    WildAllocator.free(base, pages: 1)
    Console.put("bench: context switch (register save/restore and stack switch, no scheduler): ")
    Console.dec(perSwitch); Console.put(" ns\n")
  }
}

/// The other context of FiberSwitchBench.contextSwitch: hands the CPU back, forever.
@_cdecl("rumpk_fiber_switch_bench_bouncer")
func fiberSwitchBenchBouncer(_ arg: UInt64) {
  while true { rumpk_context_switch(&FiberSwitchBench.otherSP, FiberSwitchBench.mainSP) }
}

@_cdecl("rumpk_fiber_switch_bench_leader")
func fiberSwitchBenchLeader(_ arg: UInt64) { FiberSwitchBench.lead() }

@_cdecl("rumpk_fiber_switch_bench_partner")
func fiberSwitchBenchPartner(_ arg: UInt64) { FiberSwitchBench.partner() }
