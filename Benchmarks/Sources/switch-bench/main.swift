// switch-bench: a Rumpk fiber switch and a syscall dispatch on the hosted kernel, against
// swapcontext and a pthread condvar ping-pong measured in the same run. Release builds only:
//   swift run -c release --package-path Benchmarks --scratch-path .build-bench switch-bench

import CSwitchRef
import Foundation
import Glibc
import RumpkABI
import RumpkHosted
import RumpkKernel

nonisolated(unsafe) var rounds: UInt64 = 0
nonisolated(unsafe) var elapsed: Double = 0
nonisolated(unsafe) var dispatchNs: Double = 0
nonisolated(unsafe) var entryNs: Double = 0

func nowNs() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

func bootKernel() {
  let arena = mmap(nil, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
  let base = UInt64(UInt(bitPattern: arena))
  try! Kernel.initialize(KernelConfiguration(
    bridgehead: Region(base: base, size: 4 << 20), wild: Region(base: base + (4 << 20), size: 60 << 20),
    maxFibers: 16, stackPages: 16, executable: HostedImage.text))
}

func address(_ f: @convention(c) (UInt64) -> Void) -> UInt64 {
  UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self)))
}

/// Two Matter fibers yielding to each other: every yield is one fiber-to-fiber switch through the
/// scheduler (requeue, pick, budget charge, stack canary, register save/restore).
func fiberSwitchNs(_ switches: UInt64) -> Double {
  bootKernel()
  rounds = switches / 2
  let pinger: @convention(c) (UInt64) -> Void = { _ in
    let t0 = nowNs()
    for _ in 0..<rounds { Scheduler.yieldCurrent() }
    elapsed = nowNs() - t0
  }
  let ponger: @convention(c) (UInt64) -> Void = { _ in
    for _ in 0..<rounds { Scheduler.yieldCurrent() }
  }
  _ = try! Scheduler.spawn(entry: address(pinger), argument: 0, tier: .matter, promises: .all)
  _ = try! Scheduler.spawn(entry: address(ponger), argument: 0, tier: .matter, promises: .all)
  _ = Scheduler.run()
  return elapsed / Double(switches)
}

/// The same, with both fibers running one function: the return after each switch goes back to the
/// same call site, so the CPU's return-address predictor is right (as for fibers running one loop).
func fiberSwitchSameCodeNs(_ switches: UInt64) -> Double {
  bootKernel()
  rounds = switches / 2
  elapsed = 0
  let both: @convention(c) (UInt64) -> Void = { timed in
    let t0 = nowNs()
    for _ in 0..<rounds { Scheduler.yieldCurrent() }
    if timed == 1 { elapsed = nowNs() - t0 }
  }
  _ = try! Scheduler.spawn(entry: address(both), argument: 1, tier: .matter, promises: .all)
  _ = try! Scheduler.spawn(entry: address(both), argument: 0, tier: .matter, promises: .all)
  _ = Scheduler.run()
  return elapsed / Double(switches)
}

/// pledge(all) from a fiber holding every promise: the dispatcher's promise check and the pledge
/// handler, called directly and through the SysTable entry an NPL uses.
func syscallNs(_ calls: UInt64) {
  bootKernel()
  rounds = calls
  let caller: @convention(c) (UInt64) -> Void = { _ in
    let args = SyscallArgs(Promises.all.rawValue, 0, 0, 0)
    var t0 = nowNs()
    for _ in 0..<rounds { _ = SyscallDispatch.dispatch(0, args) }
    dispatchNs = (nowNs() - t0) / Double(rounds)
    let entry = unsafeBitCast(UInt(DirectEntries.addresses()[0]), to: SyscallEntry.self)
    t0 = nowNs()
    for _ in 0..<rounds { _ = entry(Promises.all.rawValue, 0, 0, 0) }
    entryNs = (nowNs() - t0) / Double(rounds)
  }
  _ = try! Scheduler.spawn(entry: address(caller), argument: 0, tier: .matter, promises: .all)
  _ = Scheduler.run()
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

#if DEBUG
print("warning: debug build; run with -c release for meaningful numbers")
#endif
// `--profile`: only the fiber switch, once, small (for valgrind --tool=callgrind).
if CommandLine.arguments.contains("--profile") {
  Scheduler.reportOverruns = false
  print(fiberSwitchNs(200_000))
  exit(0)
}
Scheduler.reportOverruns = false
var fiber: [Double] = [], swap: [Double] = [], condvar: [Double] = [], dispatch: [Double] = [], entry: [Double] = []
var fiberSame: [Double] = [], swapSame: [Double] = []
for _ in 0..<5 {
  fiber.append(fiberSwitchNs(2_000_000))
  swap.append(cswitch_swapcontext_ns(400_000))
  fiberSame.append(fiberSwitchSameCodeNs(2_000_000))
  swapSame.append(cswitch_swapcontext_same_code_ns(400_000))
  condvar.append(cswitch_condvar_ns(20_000))
  syscallNs(5_000_000)
  dispatch.append(dispatchNs)
  entry.append(entryNs)
}
let f = median(fiber), s = median(swap), c = median(condvar)
print("switch-bench (hosted x86_64, medians of 5 interleaved runs)")
let fs = median(fiberSame), ss = median(swapSame)
print("  two fibers running different code (every switch mispredicts the return that follows it):")
print(String(format: "  rumpk fiber switch          %8.1f ns", f))
print(String(format: "  swapcontext                 %8.1f ns   fiber is 1/%.1f of it (target: at most 1/15)", s, s / f))
print("  two fibers running the same loop (returns predicted):")
print(String(format: "  rumpk fiber switch          %8.1f ns", fs))
print(String(format: "  swapcontext                 %8.1f ns   fiber is 1/%.1f of it (target: at most 1/15)", ss, ss / fs))
print(String(format: "  pthread condvar ping-pong    %8.1f ns   fiber is 1/%.0f of it", c, c / f))
print(String(format: "  syscall dispatch + promise  %8.1f ns   (target: at most 10 ns)", median(dispatch)))
print(String(format: "  via the SysTable entry      %8.1f ns", median(entry)))
