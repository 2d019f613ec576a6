// Boots real cell images under real QEMU through `rumpkctl run` and checks banners and exit codes.

import Foundation
import QEMUHarness
import XCTest

final class DirectBootTests: XCTestCase {
  func run(_ args: [String], env: [String: String] = [:]) throws -> CellOutput {
    try CellProcess.run(ProjectPaths.rumpkctl, args, environment: env, timeout: 60)
  }

  func requireImage(_ guest: String, _ arch: String) throws {
    let image = ProjectPaths.image(guest, arch)
    guard FileManager.default.fileExists(atPath: image.path) else {
      XCTFail("\(image.path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("image missing")
    }
  }

  func testHelloBootsOnAarch64AtEL1AndHaltsWithZero() throws {
    try requireImage("hello", "aarch64")
    let r = try run(["run", "hello", "--arch", "aarch64", "--timeout", "30"])
    XCTAssertFalse(r.timedOut, r.stdout)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.has("rumpk: aarch64 EL1 (entered at EL2)"), r.stdout)
    XCTAssertTrue(r.has("rumpk: SysTable at 0x50000000 magic 0x4B504D52 size 240 abi 1"), r.stdout)
    XCTAssertTrue(r.has("hello: Hello from an NPL, through the SysTable"), r.stdout)
  }

  func testHelloBootsOnRiscv64InSModeAndHaltsWithZero() throws {
    try requireImage("hello", "riscv64")
    let r = try run(["run", "hello", "--arch", "riscv64", "--timeout", "30"])
    XCTAssertFalse(r.timedOut, r.stdout)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.has("rumpk: riscv64 S-mode"), r.stdout)
    XCTAssertTrue(r.has("rumpk: SysTable at 0x83000000 magic 0x4B504D52 size 240 abi 1"), r.stdout)
    XCTAssertTrue(r.has("hello: Hello from an NPL, through the SysTable"), r.stdout)
  }

  /// riscv64 without firmware (`--bios none`): the image's M-mode shim (rumpk/HAL/riscv64/mshim.S)
  /// delegates traps, opens PMP, enables Sstc and enters S-mode itself; NPLs still run in U-mode and
  /// the cell still exits through the test device. Under -icount the boot is far shorter than
  /// through OpenSBI (12.9 M instructions to the first NPL instruction).
  func testRiscv64BootsWithoutFirmwareThroughItsMModeShim() throws {
    try requireImage("hello", "riscv64")
    try requireImage("bench", "riscv64")
    let r = try run(["run", "hello", "--arch", "riscv64", "--bios", "none", "--timeout", "30"])
    XCTAssertFalse(r.timedOut, r.stdout)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertFalse(r.stdout.contains("OpenSBI"), r.stdout)
    XCTAssertTrue(r.has("rumpk: riscv64 S-mode (entered at M-mode)"), r.stdout)
    XCTAssertTrue(r.has("NPLs in U-mode"), r.stdout)
    XCTAssertTrue(r.has("timer stimecmp (Sstc)"), r.stdout)
    XCTAssertTrue(r.has("hello: Hello from an NPL, through the SysTable"), r.stdout)
    let b = try run(["run", "bench", "--arch", "riscv64", "--bios", "none", "--icount", "--timeout", "60"])
    XCTAssertEqual(b.status, 0, b.stdout + b.stderr)
    let prefix = "bench: boot to first NPL instruction: "
    let boot = b.lines.first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count).prefix { $0.isNumber }) }
    XCTAssertNotNil(boot, b.stdout)
    if let boot { XCTAssertLessThan(boot, 3_000_000, b.stdout) }
    XCTAssertTrue(b.has("bench: done"), b.stdout)
  }

  func testBiosNoneIsForRiscv64Only() throws {
    try requireImage("hello", "aarch64")
    let r = try run(["run", "hello", "--arch", "aarch64", "--bios", "none"])
    XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
    XCTAssertTrue(r.stderr.contains("--bios none is for riscv64 only"), r.stderr)
  }

  func testNonZeroHaltCodeReachesTheCallerOnBothArches() throws {
    for arch in ["aarch64", "riscv64"] {
      try requireImage("exitcode", arch)
      let r = try run(["run", "exitcode", "--arch", arch, "--timeout", "30"])
      XCTAssertEqual(r.status, 7, "\(arch): \(r.stdout)\(r.stderr)")
      XCTAssertTrue(r.has("exitcode: halting with code 7"), r.stdout)
    }
  }

  func testIcountRunIsDeterministicAndStillHalts() throws {
    try requireImage("hello", "aarch64")
    let r = try run(["run", "hello", "--arch", "aarch64", "--icount", "--timeout", "30"])
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.has("hello: Hello from an NPL"), r.stdout)
  }

  func testUnknownGuestListsTheKnownOnes() throws {
    let r = try run(["run", "no-such-guest"])
    XCTAssertEqual(r.status, 2)
    XCTAssertTrue(r.stderr.contains("unknown guest 'no-such-guest'"), r.stderr)
    XCTAssertTrue(r.stderr.contains("hello"), r.stderr)
    XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
  }

  func testImageNotBuiltNamesTheBuildCommand() throws {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("rumpk-empty-\(UUID().uuidString)")
    let r = try run(["run", "hello"], env: ["RUMPK_BUILD": empty.path])
    XCTAssertEqual(r.status, 2)
    XCTAssertTrue(r.stderr.contains("not built yet") && r.stderr.contains("make images"), r.stderr)
  }

  func testMissingQEMUNamesTheInstallCommand() throws {
    try requireImage("hello", "riscv64")
    let r = try run(["run", "hello", "--arch", "riscv64"], env: ["PATH": "/nonexistent"])
    XCTAssertEqual(r.status, 2)
    XCTAssertTrue(r.stderr.contains("qemu-system-riscv64 is not installed") && r.stderr.contains("install-deps"), r.stderr)
  }

  /// The forger guest sleeps forever once it has printed: only the timeout ends it.
  func testTimeoutStopsACellThatDoesNotHalt() throws {
    try requireImage("forger", "aarch64")
    let r = try run(["run", "forger", "--arch", "aarch64", "--timeout", "2"])
    XCTAssertTrue(r.has("forger: pretending to be done"), r.stdout)
    XCTAssertEqual(r.status, 124, r.stderr)
    XCTAssertTrue(r.stderr.contains("did not halt"), r.stderr)
  }
}
