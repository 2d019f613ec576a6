// swift-tools-version:6.1
// The one build description of Rumpk/Rumkv (docs/decisions/B1-one-build-description.md): which files
// form which module, and which module imports which, for every build. RUMPK_TARGET picks the build:
//
//   (unset)        host: the portable modules, hosted mode, every guest as host Swift, rumpkctl, tests
//   cell-aarch64   Embedded Swift for a cell image:  swift build --triple aarch64-none-none-elf
//   cell-riscv64                                     swift build --triple riscv64-none-none-eabi
//   rumkv-aarch64  Embedded Swift for Rumkv, no heap: swift build --triple aarch64-none-none-elf
//
// with `-c release --scratch-path .build-$RUMPK_TARGET` (the Makefile's `images`). SwiftPM compiles;
// rumpk/link-image, rumkv/link-image and rumpk/link-hosted only link the objects it made, with the
// link scripts (ld.lld does what SwiftPM cannot: a link script, lazy driver objects, the NPL side
// linked apart with its symbols made local).
import PackageDescription
import Foundation

let build = ProcessInfo.processInfo.environment["RUMPK_TARGET"] ?? "host"
let embedded = build != "host"
let cellArch: String? = build.hasPrefix("cell-") ? String(build.dropFirst(5)) : nil
let rumkvArch: String? = build.hasPrefix("rumkv-") ? String(build.dropFirst(6)) : nil
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

/// The guests (folders of guests/), each a module NPL_<name>. Listed, not read from the folder:
/// SwiftPM keeps an evaluated manifest until this file changes, so a listing would go stale.
let guests = ["bench", "echo", "escape", "exitcode", "fault", "forger", "hello", "kv", "pingpong", "sleepers"]

/// The assembly and link files beside the Swift code of each arch folder (SwiftPM keeps languages
/// in separate targets; Swift files are found by SwiftPM itself).
let halAssembly = ["aarch64": ["boot.S", "svc.S", "switch.S", "vectors.S"],
                   "riscv64": ["boot.S", "ecall.S", "mshim.S", "switch.S", "trap.S"]]
let halOther = ["aarch64": ["link.ld", "module.modulemap", "sysreg.h"], "riscv64": ["link.ld", "module.modulemap", "csr.h"]]
let rumkvAssembly = ["aarch64": ["boot.S", "vectors.S"]]

/// Flags for the architecture's code model: Swift (through clang's -Xcc) and C/assembly alike.
let archCFlags: [String] = {
  switch cellArch ?? rumkvArch {
  case "aarch64"?:
    // Rumkv runs with its MMU off: every access is to Device memory, where unaligned accesses fault.
    return ["-mgeneral-regs-only"] + (rumkvArch != nil ? ["-mstrict-align"] : [])
  case "riscv64"?:
    return ["-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-mcmodel=medany"]
  default:
    return []
  }
}()
/// Embedded code compiles as the image scripts compiled it before SwiftPM did: whole-module with one
/// code-generation thread (one object per module, so LLVM inlines across files), -Osize, the Swift 5
/// language mode (Swift 6 mode grew Rumkv by 200 bytes), no stack protector, a section per function.
let portableSettings: [SwiftSetting] = embedded
  ? [.enableExperimentalFeature("Embedded"),
     .unsafeFlags(["-wmo", "-num-threads", "0", "-Osize", "-swift-version", "5", "-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections"]
                  + (rumkvArch != nil ? ["-no-allocations"] : []) + archCFlags.flatMap { ["-Xcc", $0] })]
  : []
/// Modules that must never allocate, in every embedded build.
let noHeap: [SwiftSetting] = embedded && rumkvArch == nil ? [.unsafeFlags(["-no-allocations"])] : []
let cFlags: [CSetting] = embedded ? [.unsafeFlags(["-ffreestanding", "-fno-builtin", "-Os"] + archCFlags)] : []

// Portable modules: every build has them.
var targets: [Target] = [
  .target(name: "FDT", path: "rumpk/FDT", swiftSettings: portableSettings + noHeap),
  // Status records the kernel and Rumkv write on their status port (docs/decisions/A5).
  .target(name: "StatusRecord", path: "rumpk/Status", swiftSettings: portableSettings + noHeap),
  // The virtio-mmio transport, split virtqueues and the bookkeeping that decides whether a device's
  // answers can be trusted, and the write-only console of the status port.
  .systemLibrary(name: "RumpkVirtioBarrier", path: "rumpk/Drivers/VirtioCore/include"),
  .target(name: "VirtioCore", dependencies: ["FDT", "RumpkVirtioBarrier"], path: "rumpk/Drivers/VirtioCore",
          exclude: ["include"], swiftSettings: portableSettings + [.enableExperimentalFeature("Volatile")]),
]

if rumkvArch == nil {
  targets += [
    // The frozen ABI: SysTable, syscall numbers, promises, NPL call wrappers.
    .target(name: "RumpkABI", path: "rumpk/ABI", swiftSettings: portableSettings),
    // The platform interface the kernel core is written against, ION rings, and the core itself.
    .systemLibrary(name: "RumpkPlatform", path: "rumpk/Platform/include"),
    .target(name: "RumpkION", dependencies: ["RumpkABI", "RumpkPlatform"], path: "rumpk/ION",
            swiftSettings: portableSettings),
    // Fibers switch stacks under the Swift runtime's feet: dynamic exclusivity tracking keeps its
    // records on the stack of whoever started an access, so it is off here as it is on metal.
    .target(name: "RumpkKernel", dependencies: ["RumpkABI", "RumpkPlatform", "StatusRecord"], path: "rumpk/Kernel",
            swiftSettings: portableSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
    // The NPL-side library: device channels and ION ring views.
    .target(name: "RumpkNPL", dependencies: ["RumpkABI", "RumpkION"], path: "rumpk/NPL", swiftSettings: portableSettings),
  ]
  for g in guests {
    // Guests may name link-script symbols with @_extern(c) (the fault guest does).
    targets.append(.target(name: "NPL_\(g)", dependencies: ["RumpkABI", "RumpkION", "RumpkNPL"], path: "guests/\(g)",
                           swiftSettings: portableSettings + [.enableExperimentalFeature("Extern")]))
  }
}

if !embedded || rumkvArch != nil {
  targets += [
    .target(name: "CellBundle", path: "rumkv/Bundle", swiftSettings: portableSettings + noHeap),
    // Rumkv's portable core (node config, ELF loading, cell DTB, hypercalls), unit-tested on the host.
    .target(name: "RumkvCore", dependencies: ["FDT", "CellBundle", "StatusRecord"], path: "rumkv/Core",
            swiftSettings: portableSettings),
  ]
}

if let arch = cellArch {
  let hal = "rumpk/HAL/\(arch)"
  targets += [
    // The status port: linked into every image, unlike the drivers below (lazy objects).
    .target(name: "RumpkStatusPort", dependencies: ["FDT", "RumpkKernel", "RumpkPlatform", "VirtioCore"],
            path: "rumpk/Drivers/StatusPort", swiftSettings: portableSettings),
    // Device drivers (K5).
    .target(name: "RumpkVirtio", dependencies: ["FDT", "RumpkABI", "RumpkION", "RumpkKernel", "RumpkPlatform", "VirtioCore"],
            path: "rumpk/Drivers/virtio", swiftSettings: portableSettings),
    // The freestanding runtime; it implements memset/memcpy itself, so LLVM must not turn their loops
    // back into calls.
    .target(name: "RumpkRuntime", dependencies: ["RumpkABI", "RumpkKernel", "RumpkPlatform", "RumpkArch"], path: "rumpk/Runtime",
            exclude: ["free.c"],
            swiftSettings: portableSettings + [.unsafeFlags(["-Xllvm", "-disable-loop-idiom-all"])]),
    .target(name: "RumpkRuntimeC", path: "rumpk/Runtime", sources: ["free.c"],
            publicHeadersPath: ".", cSettings: cFlags),
    // The HAL: Swift, the system-register header, and boot, vectors and context switch in assembly.
    .systemLibrary(name: "RumpkArch", path: hal),
    .target(name: "RumpkCell", dependencies: ["FDT", "RumpkABI", "RumpkKernel", "RumpkPlatform", "RumpkRuntime", "RumpkArch"],
            path: hal, exclude: halAssembly[arch]! + halOther[arch]!, swiftSettings: portableSettings),
    .target(name: "RumpkCellAsm", path: hal, sources: halAssembly[arch]!, publicHeadersPath: ".", cSettings: cFlags),
  ]
}

if let arch = rumkvArch {
  let dir = "rumkv/arch/\(arch)"
  targets += [
    .systemLibrary(name: "RumkvSysreg", path: dir),
    .target(name: "Rumkv", dependencies: ["FDT", "CellBundle", "RumkvCore", "StatusRecord", "VirtioCore", "RumkvSysreg"],
            path: dir, exclude: rumkvAssembly[arch]! + ["link.ld", "module.modulemap", "sysreg.h"],
            swiftSettings: portableSettings),
    .target(name: "RumkvAsm", path: dir, sources: rumkvAssembly[arch]!, publicHeadersPath: ".", cSettings: cFlags),
    .target(name: "RumkvRuntime", path: "rumkv/Runtime", publicHeadersPath: ".", cSettings: cFlags),
  ]
}

if !embedded {
  targets += [
    // Hosted mode: the same core as a Linux process (x86_64 context switch in assembly).
    .target(name: "RumpkHostedSwitch", path: "rumpk/Hosted/Switch"),
    .target(name: "RumpkHosted", dependencies: ["RumpkKernel", "RumpkHostedSwitch", "RumpkPlatform"],
            path: "rumpk/Hosted/Platform"),
    // A hosted cell's entry: main() in C (it reserves the cell's memory before Swift runs), the rest
    // in Swift. rumpk/link-hosted links it with one guest into build/hosted/GUEST.
    .target(name: "HostedRunner", dependencies: ["RumpkKernel", "RumpkHosted", "RumpkPlatform"],
            path: "rumpk/Hosted/Runner", sources: ["HostedMain.swift"]),
    .target(name: "HostedRunnerC", path: "rumpk/Hosted/Runner", sources: ["entry.c"], publicHeadersPath: "."),

    // The orchestrator. StatusLog attaches, reads and decodes the status port (docs/decisions/A5).
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
        "CellBundle", "CLibvirt", "CLibfdt", "StatusLog", "RumpkManifest",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "deploy/rumpkctl"),

    // Tests.
    .target(name: "QEMUHarness", dependencies: ["StatusLog"], path: "Tests/QEMUHarness"),
    .testTarget(name: "ABITests", dependencies: ["RumpkABI"], path: "Tests/ABITests"),
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(name: "FDTTests", dependencies: ["FDT", "TestSupport"], path: "Tests/FDTTests", resources: [.copy("Blobs")]),
    .testTarget(name: "VirtioTests", dependencies: ["VirtioCore"], path: "Tests/VirtioTests"),
    .testTarget(name: "BundleTests", dependencies: ["CellBundle", "TestSupport"], path: "Tests/BundleTests"),
    .testTarget(name: "KernelTests", dependencies: ["RumpkKernel", "RumpkION", "RumpkHosted", "RumpkABI", "TestSupport"], path: "Tests/KernelTests",
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
    .testTarget(name: "BootTests", dependencies: ["QEMUHarness", "StatusLog"], path: "Tests/BootTests"),
    .testTarget(name: "RumkvTests", dependencies: ["QEMUHarness", "CellBundle", "FDT", "RumkvCore", "StatusLog"], path: "Tests/RumkvTests"),
    .testTarget(name: "DeployTests", dependencies: ["QEMUHarness", "StatusLog", "StatusRecord", "RumpkManifest", "rumpkctl"], path: "Tests/DeployTests"),
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
    .library(name: "RumpkCore", targets: ["RumpkABI", "RumpkION", "RumpkKernel", "RumpkHosted"]),
  ],
  dependencies: embedded ? [] : [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
  ],
  targets: targets
)
