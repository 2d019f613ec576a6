// NPLs at EL0 on aarch64 (docs/decisions/K6-el0-npls.md), booted directly under QEMU: fibers that
// touch memory they do not own or run an undefined instruction are reported and end alone; the
// cell goes on. The other guests' boot tests check that everything else still works at EL0.

import Foundation
import QEMUHarness
import XCTest

final class FaultBootTests: XCTestCase {
  func run(_ guest: String, icount: Bool = false) throws -> CellOutput {
    let image = ProjectPaths.image(guest, "aarch64")
    guard FileManager.default.fileExists(atPath: image.path) else {
      XCTFail("\(image.path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("image missing")
    }
    var args = ["run", guest, "--arch", "aarch64", "--timeout", "60"]
    if icount { args.append("--icount") }
    let r = try CellProcess.run(ProjectPaths.rumpkctl, args, timeout: 90)
    XCTAssertFalse(r.timedOut, r.stdout)
    return r
  }

  /// Console lines, split on Unicode scalars ("\r\n" is one Character).
  func lines(_ r: CellOutput) -> [String] {
    r.stdout.unicodeScalars.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String(String.UnicodeScalarView($0)) }
  }

  func testFaultingFibersEndAloneAndTheCellGoesOn() throws {
    let r = try run("fault")
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    let reports = lines(r).filter { $0.hasPrefix("rumpk: fiber ") && $0.hasSuffix("; fiber ended") }
    XCTAssertEqual(reports.count, 5, r.stdout)
    // Data aborts from EL0 (EC 0x24) at the address touched; the undefined instruction (EC 0) at its PC.
    XCTAssertTrue(reports.contains { $0.contains(" fault at 0x10 (ESR 0x92") }, r.stdout)
    XCTAssertTrue(reports.contains { $0.contains(" fault at 0x50000000 (ESR 0x92") }, r.stdout)
    XCTAssertTrue(reports.contains { $0.contains(" fault at 0x40") && $0.contains("(ESR 0x92") && !$0.contains("0x50000000") }, r.stdout)
    XCTAssertTrue(reports.contains { $0.contains("(ESR 0x2000000, ELR 0x") }, r.stdout)
    // A store into the kernel's private data (.kdata, EL1 only): a permission fault (DFSC 0x0F,
    // write) at exactly the address the child printed; the kernel's globals stay the kernel's.
    let probe = lines(r).first { $0.hasPrefix("fault: child writes kernel data at 0x") }
    XCTAssertNotNil(probe, r.stdout)
    if let probe {
      let address = probe.dropFirst("fault: child writes kernel data at 0x".count).uppercased()
      XCTAssertTrue(reports.contains { $0.contains(" fault at 0x\(address) (ESR 0x9200004F") }, r.stdout)
    }
    XCTAssertFalse(r.stdout.contains("(wrong)"), r.stdout)
    XCTAssertFalse(r.has("fault: my stack was changed"), r.stdout)
    XCTAssertTrue(r.has("fault: still running"), r.stdout)
    XCTAssertFalse(r.has("rumpk: exception"), r.stdout)
  }

  /// The bench guest's syscall round trip is now a real EL0 -> EL1 -> EL0 trap; under -icount the
  /// numbers are instruction counts. They must be printed and plausible (a trap costs more than a
  /// direct call but stays well under a thousand instructions).
  func testBenchMeasuresTheTrapRoundTrip() throws {
    let r = try run("bench", icount: true)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    let line = lines(r).first { $0.hasPrefix("bench: syscall round trip (time): ") }
    let n = line.flatMap { Int($0.dropFirst("bench: syscall round trip (time): ".count).prefix { $0.isNumber }) }
    XCTAssertNotNil(n, r.stdout)
    if let n { XCTAssertTrue(n > 20 && n < 1000, "round trip \(n) instructions: \(r.stdout)") }
    XCTAssertTrue(r.has("bench: done"), r.stdout)
  }
}
