// swift-tools-version:6.1
// Host benchmarks, kept out of the root package so `make test` never builds package-benchmark.
//   swift run -c release --package-path Benchmarks --scratch-path .build-bench ion-bench   (ratio table)
//   swift package --package-path Benchmarks benchmark                                      (package-benchmark)
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever the checkout is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .lastPathComponent.lowercased()

let package = Package(
  name: "RumpkBenchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
  ],
  targets: [
    // The C reference: the same SPSC algorithm in C11 atomics with cached cursors.
    .target(name: "CSPSCRing", path: "Sources/CSPSCRing", cSettings: [.unsafeFlags(["-O3"])]),
    // The cross-thread workloads (ION, C ring, pipe, mutex+Deque), shared by both front ends.
    .target(
      name: "IONBenchSupport",
      dependencies: [
        "CSPSCRing",
        .product(name: "RumpkCore", package: root),
        .product(name: "DequeModule", package: "swift-collections"),
      ],
      path: "Sources/IONBenchSupport"),
    // Plain executable printing msgs/s and ratios in one run.
    .executableTarget(name: "ion-bench", dependencies: ["IONBenchSupport", "CSPSCRing"], path: "Sources/ion-bench"),
    // Fiber switch and syscall dispatch against swapcontext and a condvar ping-pong.
    .target(name: "CSwitchRef", path: "Sources/CSwitchRef", cSettings: [.unsafeFlags(["-O2"])]),
    .executableTarget(
      name: "switch-bench",
      dependencies: ["CSwitchRef", .product(name: "RumpkCore", package: root)],
      path: "Sources/switch-bench"),
    // package-benchmark front end.
    .executableTarget(
      name: "IONRingBenchmarks",
      dependencies: ["IONBenchSupport", .product(name: "Benchmark", package: "package-benchmark")],
      path: "Benchmarks/IONRing",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
  ]
)
