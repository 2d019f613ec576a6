// ion-bench: ION ring cross-thread SPSC throughput against a C ring, a pipe and a mutex-guarded
// Deque, all in one run, printed as msgs/s and ratios. Release builds only:
//   swift run -c release --package-path Benchmarks --scratch-path .build-bench ion-bench [--reps N] [--scale X] [--pin]

import Foundation
import CSPSCRing
import IONBenchSupport

func benchMain() {
  var reps = 5
  var scale = 1.0
  var args = CommandLine.arguments.dropFirst()
  while let a = args.popFirst() {
    switch a {
    case "--reps": reps = Int(args.popFirst() ?? "") ?? reps
    case "--scale": scale = Double(args.popFirst() ?? "") ?? scale
    case "--pin": cspsc_set_pinning(1)
    default:
      print("usage: ion-bench [--reps N] [--scale X] [--pin]")
      exit(2)
    }
  }

  #if DEBUG
  print("warning: debug build; run with -c release for meaningful numbers")
  #endif

  let slotCount = 1024
  let batch = 32
  func n(_ base: Double) -> UInt64 { UInt64(base * scale) }

  struct Workload {
    let name: String
    let run: (Int) -> RunResult  // payload -> result
  }

  let workloads: [Workload] = [
    Workload(name: "ION ring, per message") { runION(messages: n(20e6), payload: $0, slotCount: slotCount) },
    Workload(name: "ION ring, batched x\(batch)") { runION(messages: n(20e6), payload: $0, slotCount: slotCount, batch: batch) },
    Workload(name: "C ring, per message") { runCRing(messages: n(20e6), payload: $0, slotCount: slotCount) },
    Workload(name: "pipe write/read") { runPipe(messages: n(0.5e6), payload: $0) },
    Workload(name: "mutex + Deque") { runMutexDeque(messages: n(3e6), payload: $0, capacity: slotCount) },
    Workload(name: "ION ring, 1 thread") { runIONSingleThread(messages: n(20e6), payload: $0, slotCount: slotCount) },
    Workload(name: "C ring, 1 thread") { runCRingSingleThread(messages: n(20e6), payload: $0, slotCount: slotCount) },
  ]

  func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
  func mps(_ x: Double) -> String { String(format: "%8.2f M", x / 1e6) }

  var ok = true
  var table: [Int: [String: (median: Double, best: Double)]] = [:]
  for payload in [8, 64] {
    var rates: [String: [Double]] = [:]
    for _ in 0..<reps {
      for w in workloads {  // interleaved, so background load hits every workload alike
        let r = w.run(payload)
        if r.checksum != expectedChecksum(messages: r.messages, payload: payload) {
          print("CHECKSUM MISMATCH: \(w.name), \(payload)-byte messages")
          ok = false
        }
        rates[w.name, default: []].append(r.rate)
      }
    }
    table[payload] = rates.mapValues { (median($0), $0.max()!) }
  }

  let cores = ProcessInfo.processInfo.activeProcessorCount
  print("rows 1-5: producer and consumer on two threads; rows 6-7: publish 256 then consume 256 on one thread")
  print("ION ring cross-thread SPSC (hosted), \(slotCount) slots, \(reps) interleaved runs each, median (best) msgs/s; \(cores) cores")
  print("")
  print("workload                   |   8-byte msgs/s (best)      |  64-byte msgs/s (best)")
  print("---------------------------|-----------------------------|----------------------------")
  for w in workloads {
    let a = table[8]![w.name]!, b = table[64]![w.name]!
    print(w.name.padding(toLength: 27, withPad: " ", startingAt: 0) + "| \(mps(a.median)) (\(mps(a.best)))  | \(mps(b.median)) (\(mps(b.best)))")
  }
  print("")
  print("ratios (medians)           |   8-byte |  64-byte | target")
  print("---------------------------|----------|----------|-------")
  func ratioRow(_ name: String, _ num: String, _ den: String, target: Double?) {
    let r8 = table[8]![num]!.median / table[8]![den]!.median
    let r64 = table[64]![num]!.median / table[64]![den]!.median
    var t = ""
    if let target {
      let pass = r8 >= target && r64 >= target
      t = ">= \(fmt(target, target < 1 ? 1 : 0))x \(pass ? "PASS" : "FAIL")"
    }
    print(name.padding(toLength: 27, withPad: " ", startingAt: 0) + "| " + (fmt(r8, 2) + "x").padding(toLength: 9, withPad: " ", startingAt: 0)
      + "| " + (fmt(r64, 2) + "x").padding(toLength: 9, withPad: " ", startingAt: 0) + "| " + t)
  }
  ratioRow("ION / C ring", "ION ring, per message", "C ring, per message", target: 0.8)
  ratioRow("ION / pipe", "ION ring, per message", "pipe write/read", target: 15)
  ratioRow("ION / mutex + Deque", "ION ring, per message", "mutex + Deque", target: nil)
  ratioRow("ION batched / C ring", "ION ring, batched x\(batch)", "C ring, per message", target: nil)
  ratioRow("ION / C ring, 1 thread", "ION ring, 1 thread", "C ring, 1 thread", target: 0.8)
  if !ok { exit(1) }
}

benchMain()
