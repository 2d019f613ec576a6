// The cost of one fiber switch inside the kernel: two kernel fibers of one tier yield to each other,
// so every yield is scheduler + context switch and nothing else (no trap, no page-table view). The
// bench guest measures the switch between two user-mode fibers, which adds a trap and a view change
// (docs/decisions/K6-el0-npls.md); this is the part of it the scheduler owns. Run only when the HAL
// found `rumpk.bench=switch` in the boot arguments; under `-icount shift=0,sleep=off` the printed
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
}

@_cdecl("rumpk_fiber_switch_bench_leader")
func fiberSwitchBenchLeader(_ arg: UInt64) { FiberSwitchBench.lead() }

@_cdecl("rumpk_fiber_switch_bench_partner")
func fiberSwitchBenchPartner(_ arg: UInt64) { FiberSwitchBench.partner() }
