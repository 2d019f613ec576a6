// swift-tools-version:6.1
// One package for the host side of Rumpk/Rumkv: the portable modules (compiled as host Swift for tests
// and hosted mode), rumpkctl, and the tests. Bare-metal images are compiled by rumpk/build-image (and
// rumkv/build-image) with swiftc in Embedded mode and linked with ld.lld, because SwiftPM does not
// link bare-metal images. Setting RUMPK_EMBEDDED=1 re-declares only the portable modules, with
// Embedded settings, so `RUMPK_EMBEDDED=1 swift build --triple aarch64-none-none-elf --target FDT`
// type-checks them that way; a plain `swift build` never compiles Embedded code.
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
  .target(name: "CellBundle", path: "rumkv/Bundle", swiftSettings: portableSettings),
  // Status records the kernel and Rumkv write on their status port (docs/decisions/A5).
  .target(name: "StatusRecord", path: "rumpk/Status", swiftSettings: portableSettings),
  // The virtio-mmio transport, split virtqueues and the bookkeeping that decides whether a device's
  // answers can be trusted, and the write-only console of the status port.
  .systemLibrary(name: "RumpkVirtioBarrier", path: "rumpk/Drivers/VirtioCore/include"),
  .target(name: "VirtioCore", dependencies: ["FDT", "RumpkVirtioBarrier"], path: "rumpk/Drivers/VirtioCore",
          exclude: ["include"], swiftSettings: portableSettings + [.enableExperimentalFeature("Volatile")]),
  // Rumkv's portable core (node config, ELF loading, cell DTB, hypercalls), unit-tested on the host.
  .target(name: "RumkvCore", dependencies: ["FDT", "CellBundle", "StatusRecord"], path: "rumkv/Core", swiftSettings: portableSettings),
]

if !embedded {
  targets += [
    // The portable kernel core and the platform interface it is written against.
    .systemLibrary(name: "RumpkPlatform", path: "rumpk/Platform/include"),
    // Fibers switch stacks under the Swift runtime's feet: dynamic exclusivity tracking keeps its
    // records on the stack of whoever started an access, so it is off here as it is on metal.
    .target(name: "RumpkKernel", dependencies: ["RumpkABI", "RumpkPlatform", "StatusRecord"], path: "rumpk/Kernel",
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
    // Hosted mode: the same core as a Linux process (x86_64 context switch in assembly).
    .target(name: "RumpkHostedSwitch", path: "rumpk/Hosted/Switch"),
    .target(name: "RumpkHosted", dependencies: ["RumpkKernel", "RumpkHostedSwitch", "RumpkPlatform"],
            path: "rumpk/Hosted/Platform"),

    // The orchestrator. StatusLog decodes what the status port carries (docs/decisions/A5).
    .target(name: "StatusLog", path: "deploy/StatusLog"),
    .systemLibrary(name: "CLibvirt", path: "deploy/CLibvirt", pkgConfig: "libvirt",
                   providers: [.apt(["libvirt-dev"])]),
    .systemLibrary(name: "CLibfdt", path: "deploy/CLibfdt", providers: [.apt(["libfdt-dev"])]),
    // Manifest parsing and validation, shared by rumpkctl and the manifest fuzz target.
    .target(name: "RumpkManifest", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")],
            path: "deploy/RumpkManifest"),
    .executableTarget(
      name: "rumpkctl",
      dependencies: [
        "RumpkABI", "CellBundle", "FDT", "CLibvirt", "CLibfdt", "StatusLog", "RumpkManifest",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "deploy/rumpkctl"),

    // Tests.
    .target(name: "QEMUHarness", dependencies: ["StatusLog"], path: "Tests/QEMUHarness"),
    .testTarget(name: "ABITests", dependencies: ["RumpkABI"], path: "Tests/ABITests"),
    .testTarget(name: "FDTTests", dependencies: ["FDT"], path: "Tests/FDTTests", resources: [.copy("Blobs")]),
    .testTarget(name: "VirtioTests", dependencies: ["VirtioCore"], path: "Tests/VirtioTests"),
    .testTarget(name: "BundleTests", dependencies: ["CellBundle"], path: "Tests/BundleTests"),
    .testTarget(name: "KernelTests", dependencies: ["RumpkKernel", "RumpkHosted", "RumpkABI"], path: "Tests/KernelTests",
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
    .testTarget(name: "BootTests", dependencies: ["QEMUHarness"], path: "Tests/BootTests"),
    .testTarget(name: "RumkvTests", dependencies: ["QEMUHarness", "CellBundle", "FDT", "RumkvCore"], path: "Tests/RumkvTests"),
    .testTarget(name: "DeployTests", dependencies: ["QEMUHarness", "StatusLog", "StatusRecord", "rumpkctl"], path: "Tests/DeployTests"),
    .testTarget(name: "ManifestTests", dependencies: ["RumpkManifest"], path: "Tests/ManifestTests"),
  ]
}

// Fuzz targets (Tests/Fuzz/<dir>, one libFuzzer executable each), declared only under RUMPK_FUZZ=1:
// libFuzzer supplies main, so they link only with `swift build --sanitize=fuzzer` and the flags in
// Tests/Fuzz/run (`make fuzz`); plain `swift build` / `swift test` never see them.
if ProcessInfo.processInfo.environment["RUMPK_FUZZ"] == "1" && !embedded {
  let fuzzTargets: [(dir: String, dependencies: [Target.Dependency])] = [
    ("fdt", ["FDT"]),
    ("boardtree", ["FDT", "RumkvCore"]),
    ("discovery", ["FDT"]),
    ("bundle", ["CellBundle"]),
    ("elf", ["CellBundle", "RumkvCore"]),
    ("nodeconfig", ["FDT", "RumkvCore", "StatusLog"]),
    ("manifest", ["RumpkManifest"]),
    ("status", ["StatusLog", "StatusRecord"]),
  ]
  targets += fuzzTargets.map { t in
    .executableTarget(name: "fuzz-\(t.dir)", dependencies: t.dependencies, path: "Tests/Fuzz/\(t.dir)",
                      exclude: ["corpus"], swiftSettings: [.unsafeFlags(["-parse-as-library"])])
  }
}

let package = Package(
  name: "Rumpk",
  platforms: [.macOS(.v13)],
  products: embedded ? [] : [
    .executable(name: "rumpkctl", targets: ["rumpkctl"]),
    // For Benchmarks/ (its own package, so `make test` never builds package-benchmark).
    .library(name: "RumpkCore", targets: ["RumpkABI", "RumpkKernel", "RumpkHosted"]),
  ],
  dependencies: embedded ? [] : [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
  ],
  targets: targets
)
