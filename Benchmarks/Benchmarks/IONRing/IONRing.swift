// package-benchmark front end for the ION ring workloads (see Sources/IONBenchSupport). Each
// iteration moves scalingFactor messages (1 M for the rings, 1 K for pipe and mutex) between
// two threads in one go, so the scaled throughput is messages per second.
//   swift package --package-path Benchmarks --scratch-path .build-bench benchmark
// For one table with the ratios, run the ion-bench executable instead.

import Benchmark
import IONBenchSupport

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .throughput], scalingFactor: .mega, maxDuration: .seconds(3), maxIterations: 10)

  for payload in [8, 64] {
    Benchmark("ION ring per message \(payload)B") { benchmark in
      blackHole(runION(messages: UInt64(benchmark.scaledIterations.count), payload: payload, slotCount: 1024).checksum)
    }
    Benchmark("ION ring batched x32 \(payload)B") { benchmark in
      blackHole(runION(messages: UInt64(benchmark.scaledIterations.count), payload: payload, slotCount: 1024, batch: 32).checksum)
    }
    Benchmark("C ring per message \(payload)B") { benchmark in
      blackHole(runCRing(messages: UInt64(benchmark.scaledIterations.count), payload: payload, slotCount: 1024).checksum)
    }
    Benchmark("pipe \(payload)B", configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxIterations: 10)) { benchmark in
      blackHole(runPipe(messages: UInt64(benchmark.scaledIterations.count), payload: payload).checksum)
    }
    Benchmark("mutex Deque \(payload)B", configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxIterations: 10)) { benchmark in
      blackHole(runMutexDeque(messages: UInt64(benchmark.scaledIterations.count), payload: payload, capacity: 1024).checksum)
    }
  }
}
