// swift-tools-version:6.1
// One package for the host side of Rumpk/Rumkv: the portable modules (compiled as host Swift for tests
// and hosted mode), rumpkctl, and the tests. Bare-metal images are compiled by the Makefile with swiftc
// in Embedded mode and linked with ld.lld (SwiftPM does not link bare-metal images); setting
// RUMPK_EMBEDDED=1 re-declares the portable modules with Embedded settings so
// `RUMPK_EMBEDDED=1 swift build --triple aarch64-none-none-elf --target FDT` type-checks them that way.
import PackageDescription
import Foundation

let embedded = ProcessInfo.processInfo.environment["RUMPK_EMBEDDED"] == "1"
let portableSettings: [SwiftSetting] = embedded
  ? [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo", "-Xfrontend", "-disable-stack-protector"])]
  : []

var targets: [Target] = [
  // Portable: shared by kernel, guests, hypervisor, hosted mode and tests.
  .target(name: "RumpkABI", path: "rumpk/ABI", swiftSettings: portableSettings),
  .target(name: "FDT", path: "rumpk/FDT", swiftSettings: portableSettings),
]

if !embedded {
  targets += [
    .executableTarget(
      name: "rumpkctl",
      dependencies: [
        "RumpkABI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "deploy/rumpkctl"),
    .target(name: "QEMUHarness", path: "Tests/QEMUHarness"),
    .testTarget(name: "ABITests", dependencies: ["RumpkABI"], path: "Tests/ABITests"),
    .testTarget(name: "FDTTests", dependencies: ["FDT"], path: "Tests/FDTTests", resources: [.copy("Blobs")]),
    .testTarget(name: "BootTests", dependencies: ["QEMUHarness"], path: "Tests/BootTests"),
  ]
}

let package = Package(
  name: "Rumpk",
  platforms: [.macOS(.v13)],
  products: embedded ? [] : [.executable(name: "rumpkctl", targets: ["rumpkctl"])],
  dependencies: embedded ? [] : [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: targets
)
