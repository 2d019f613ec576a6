// The stage-2 fence against a cell kernel that is itself hostile: a tiny EL1 image, assembled by
// the test with the toolchain's clang and ld.lld, stores into Rumkv's memory. Rumpk NPLs now run at
// EL0 and are stopped by their own kernel's stage 1 first (K6), so only an EL1 escape reaches stage 2.

import Foundation
import QEMUHarness
import XCTest

final class HostileCellTests: XCTestCase {
  /// An EL1 image linked at 0x40200000 from `body` (aarch64 assembly after `_start:`).
  func hostileImage(_ body: String) throws -> Data {
    try AssembledImage.build("aarch64", at: "0x40200000", body)
  }

  func boot(_ image: Data) throws -> CellOutput {
    let dtb = try RumkvNode.nodeDTB(RumkvNode.rumkvNode(name: "\"hostile\"", image: "\"hostile\""))
    let bundle = try RumkvNode.bundle([("hostile", image)])
    let r = try RumkvNode.boot(dtb: dtb, bundle: bundle)
    XCTAssertFalse(r.timedOut, r.stdout)
    return r
  }

  /// A cell kernel that prints Rumkv's own words, tries semihosting's SYS_SYSTEM, then faults:
  /// the console shows the forgery, but the management records say what happened, and the host
  /// command never runs (no semihosting anywhere a guest runs).
  func testACellCannotForgeItsStatusOrReachTheHost() throws {
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("rumkv-semihost-\(UUID().uuidString)")
    let r = try boot(try hostileImage(
      AssembledImage.aarch64Print("rumkv: cell hostile halted with code 0\\n")
      + AssembledImage.aarch64Semihost("touch \(marker.path)") + """
      movz x0, #0x7000, lsl #16
      str  x0, [x0]
      b    .
    """))
    XCTAssertTrue(r.has("rumkv: cell hostile halted with code 0"), "the forged line is on the console: \(r.stdout)")
    XCTAssertNil(r.record("halted"), "no halted record: \(r.records)")
    XCTAssertEqual(r.record("fault")?.cell, "hostile", r.stdout)
    XCTAssertEqual(r.offCode, 3, r.stdout)
    XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "semihosting ran a host command")
  }

  func testAnEL1StoreIntoRumkvIsCaughtByStage2() throws {
    let r = try boot(try hostileImage("""
      movz x0, #0x7000, lsl #16
      movz x1, #0xbeef
      str  x1, [x0]
      b    .
      """))
    XCTAssertTrue(r.has("rumkv: cell hostile stage-2 fault at IPA 0x70000000"), r.stdout)
    XCTAssertEqual(r.offCode, 3, r.stdout + r.stderr)
    XCTAssertEqual(r.record("fault")?.cell, "hostile", r.stdout)
  }

  func testAnEL1ReadOfAnotherDevicePageIsCaughtByStage2() throws {
    // The GIC distributor is not passed through to cells.
    let r = try boot(try hostileImage("""
      movz x0, #0x0800, lsl #16
      ldr  w1, [x0]
      b    .
      """))
    XCTAssertTrue(r.has("rumkv: cell hostile stage-2 fault at IPA 0x8000000"), r.stdout)
    XCTAssertEqual(r.offCode, 3, r.stdout + r.stderr)
    XCTAssertEqual(r.record("fault")?.cell, "hostile", r.stdout)
  }
}
