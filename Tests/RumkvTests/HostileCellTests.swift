// The stage-2 fence against a cell kernel that is itself hostile: a tiny EL1 image, assembled by
// the test with the toolchain's clang and ld.lld, stores into Rumkv's memory. Rumpk NPLs now run at
// EL0 and are stopped by their own kernel's stage 1 first (K6), so only an EL1 escape reaches stage 2.

import Foundation
import QEMUHarness
import XCTest

final class HostileCellTests: XCTestCase {
  /// Builds an ELF linked at 0x40200000 from `body` (aarch64 assembly after `_start:`).
  func hostileImage(_ body: String) throws -> Data {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = dir.appendingPathComponent("cell.S"), object = dir.appendingPathComponent("cell.o")
    let elf = dir.appendingPathComponent("cell.elf"), script = dir.appendingPathComponent("cell.ld")
    try ".text\n.global _start\n_start:\n\(body)\n".write(to: source, atomically: true, encoding: .utf8)
    try "ENTRY(_start)\nSECTIONS { . = 0x40200000; .text : { *(.text) } }\n".write(to: script, atomically: true, encoding: .utf8)
    let bin = URL(fileURLWithPath: try toolchainBin())
    var r = try CellProcess.run(bin.appendingPathComponent("clang").path,
                                ["--target=aarch64-none-elf", "-c", source.path, "-o", object.path])
    XCTAssertEqual(r.status, 0, r.stderr)
    r = try CellProcess.run(bin.appendingPathComponent("ld.lld").path,
                            ["-T", script.path, "-static", "-nostdlib", "-z", "max-page-size=4096", "-o", elf.path, object.path])
    XCTAssertEqual(r.status, 0, r.stderr)
    return try Data(contentsOf: elf)
  }

  func toolchainBin() throws -> String {
    let r = try CellProcess.run("/usr/bin/env", ["sh", "-c", "dirname \"$(command -v swiftc)\""])
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func boot(_ image: Data) throws -> CellOutput {
    let dtb = try RumkvNode.nodeDTB(RumkvNode.rumkvNode(name: "\"hostile\"", image: "\"hostile\""))
    let bundle = try RumkvNode.bundle([("hostile", image)])
    let r = try RumkvNode.boot(dtb: dtb, bundle: bundle)
    XCTAssertFalse(r.timedOut, r.stdout)
    return r
  }

  func testAnEL1StoreIntoRumkvIsCaughtByStage2() throws {
    let r = try boot(try hostileImage("""
      movz x0, #0x7000, lsl #16
      movz x1, #0xbeef
      str  x1, [x0]
      b    .
      """))
    XCTAssertTrue(r.has("rumkv: cell hostile stage-2 fault at IPA 0x70000000"), r.stdout)
    XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
  }

  func testAnEL1ReadOfAnotherDevicePageIsCaughtByStage2() throws {
    // The GIC distributor is not passed through to cells.
    let r = try boot(try hostileImage("""
      movz x0, #0x0800, lsl #16
      ldr  w1, [x0]
      b    .
      """))
    XCTAssertTrue(r.has("rumkv: cell hostile stage-2 fault at IPA 0x8000000"), r.stdout)
    XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
  }
}
