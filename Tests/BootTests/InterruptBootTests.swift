// Interrupts and the tickless timer, booted for real on aarch64 and riscv64: the GICv3 (aarch64) or
// the PLIC and the S-mode timer (riscv64) come up from the device tree, sleeping fibers wake in
// deadline order (tier order on a shared deadline), and the timer fires once per distinct deadline
// and never otherwise (no periodic tick). Both arches print the same sleepers and halt lines.

import Foundation
import QEMUHarness
import XCTest

final class InterruptBootTests: XCTestCase {
  /// The wake order guests/sleepers must print: deadlines 5, 10, 10, 20, 20, 30, 30, 40, 50 ms; on
  /// a shared deadline Matter before Gravity before Void.
  static let expectedOrder = [7, 2, 5, 4, 9, 8, 3, 1, 6]
  static let distinctDeadlines = 6
  static let arches = ["aarch64", "riscv64"]

  func run(_ guest: String, arch: String = "aarch64", icount: Bool = false) throws -> CellOutput {
    let image = ProjectPaths.image(guest, arch)
    guard FileManager.default.fileExists(atPath: image.path) else {
      XCTFail("\(image.path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("image missing")
    }
    var args = ["run", guest, "--arch", arch, "--timeout", "60"]
    if icount { args.append("--icount") }
    let r = try CellProcess.run(ProjectPaths.rumpkctl, args, timeout: 90)
    XCTAssertFalse(r.timedOut, "\(arch): \(r.stdout)")
    XCTAssertEqual(r.status, 0, "\(arch): \(r.stdout)\(r.stderr)")
    return r
  }

  /// Console lines. The serial console ends lines with "\r\n", which Swift reads as one Character,
  /// so this splits on Unicode scalars rather than relying on CellOutput.lines.
  func lines(_ r: CellOutput) -> [String] {
    r.stdout.unicodeScalars.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String(String.UnicodeScalarView($0)) }
  }

  /// The N of the kernel's halt-time line "rumpk: N timer interrupts, ..." (nil: no such line).
  func timerInterrupts(_ r: CellOutput) -> Int? {
    for line in lines(r) where line.hasPrefix("rumpk: ") && line.contains(" timer interrupts") {
      return Int(line.dropFirst("rumpk: ".count).prefix { $0.isNumber })
    }
    return nil
  }

  func testMMUAndGICComeUpFromTheDeviceTree() throws {
    let r = try run("hello")
    XCTAssertTrue(r.has("rumpk: MMU and caches on: devices at 0x200000000 + PA, RAM identity up to 0x100000000, NPL windows A 0x8000000 B 0x10000000"), r.stdout)
    XCTAssertTrue(r.has("rumpk: GICv3 distributor 0x8000000 redistributor 0x80A0000, timer INTID 27"), r.stdout)
    XCTAssertTrue(r.has("hello: Hello from an NPL"), r.stdout)
  }

  /// riscv64 (S-mode under OpenSBI): the PLIC context of the boot hart from interrupts-extended,
  /// and stimecmp because QEMU's hart reports Sstc in riscv,isa.
  func testPLICAndSstcTimerComeUpFromTheDeviceTreeOnRiscv64() throws {
    let r = try run("hello", arch: "riscv64")
    XCTAssertTrue(r.has("rumpk: PLIC 0xC000000 context 1, timer stimecmp (Sstc), timebase 10000000 Hz"), r.stdout)
    XCTAssertTrue(r.has("hello: Hello from an NPL"), r.stdout)
  }

  /// riscv64 on a hart without Sstc (QEMU `-cpu rv64,sstc=off`, so neither the tree nor OpenSBI
  /// offer stimecmp): the timer falls back to SBI set_timer and behaves the same, one interrupt per
  /// distinct deadline. QEMU is started directly since rumpkctl has no CPU option.
  func testRiscv64WithoutSstcUsesTheSBITimer() throws {
    let image = ProjectPaths.image("sleepers", "riscv64")
    guard FileManager.default.fileExists(atPath: image.path) else {
      XCTFail("\(image.path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("image missing")
    }
    let r = try CellProcess.run("/usr/bin/env", [
      "qemu-system-riscv64", "-machine", "virt", "-cpu", "rv64,sstc=off", "-m", "256M", "-bios", "default",
      "-nographic", "-nic", "none", "-icount", "shift=0,sleep=off", "-kernel", image.path], timeout: 60)
    XCTAssertFalse(r.timedOut, r.stdout)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.has("rumpk: PLIC 0xC000000 context 1, timer SBI TIME, timebase 10000000 Hz"), r.stdout)
    XCTAssertTrue(r.has("sleepers: order " + Self.expectedOrder.map(String.init).joined(separator: " ")), r.stdout)
    XCTAssertEqual(timerInterrupts(r), Self.distinctDeadlines, r.stdout)
  }

  /// Order is checked under -icount, where virtual time follows instructions: in real time a loaded
  /// host can let two deadlines pass before the first idle, and then tier order rightly decides.
  /// The real-time run checks that every sleeper woke and none early.
  func testSleepersWakeInDeadlineOrderAcrossTiers() throws {
    for arch in Self.arches {
      let live = try run("sleepers", arch: arch)
      XCTAssertEqual(lines(live).filter { $0.hasPrefix("sleepers: woke ") }.count, Self.expectedOrder.count, "\(arch): \(live.stdout)")
      XCTAssertFalse(live.has("EARLY"), "\(arch): \(live.stdout)")
      let r = try run("sleepers", arch: arch, icount: true)
      let order = Self.expectedOrder.map(String.init).joined(separator: " ")
      XCTAssertTrue(r.has("sleepers: order \(order)"), "\(arch): \(r.stdout)")
      let woke = lines(r).filter { $0.hasPrefix("sleepers: woke ") }
      XCTAssertEqual(woke.count, Self.expectedOrder.count, "\(arch): \(r.stdout)")
      for (line, n) in zip(woke, Self.expectedOrder) {
        XCTAssertTrue(line.hasPrefix("sleepers: woke \(n) ("), "\(arch): \(line) (expected sleeper \(n))")
      }
      XCTAssertTrue(r.has("sleepers: woke 7 (gravity, 5 ms) +"), "\(arch): \(r.stdout)")
      XCTAssertTrue(r.has("sleepers: woke 6 (gravity, 50 ms) +"), "\(arch): \(r.stdout)")
      XCTAssertFalse(r.has("EARLY"), "\(arch): \(r.stdout)")
    }
  }

  func testOneTimerInterruptPerDistinctDeadlineAndDeterministicUnderIcount() throws {
    for arch in Self.arches {
      let first = try run("sleepers", arch: arch, icount: true)
      let second = try run("sleepers", arch: arch, icount: true)
      XCTAssertEqual(timerInterrupts(first), Self.distinctDeadlines, "\(arch): \(first.stdout)")
      XCTAssertEqual(first.stdout, second.stdout, "\(arch): two -icount boots differ")
      XCTAssertTrue(first.has("sleepers: order " + Self.expectedOrder.map(String.init).joined(separator: " ")),
                    "\(arch): \(first.stdout)")
    }
  }

  /// The halt-time line is printed only when the timer fired at all: hello never sleeps, so with
  /// interrupts on (the GIC line, the PLIC/timer line) there must be no such line.
  func testACellThatNeverSleepsTakesNoTimerInterrupt() throws {
    for (arch, upLine) in [("aarch64", "rumpk: GICv3 distributor"), ("riscv64", "rumpk: PLIC 0x")] {
      let r = try run("hello", arch: arch, icount: true)
      XCTAssertTrue(r.has(upLine), "\(arch): \(r.stdout)")
      XCTAssertNil(timerInterrupts(r), "\(arch): \(r.stdout)")
    }
  }
}
