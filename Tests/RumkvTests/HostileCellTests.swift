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

  /// A cell kernel that prints Rumkv's own words, tries semihosting's SYS_SYSTEM, then faults:
  /// the console shows the forgery, but the management records say what happened, and the host
  /// command never runs (no semihosting anywhere a guest runs).
  func testACellCannotForgeItsStatusOrReachTheHost() throws {
    let marker = FileManager.default.temporaryDirectory.appendingPathComponent("rumkv-semihost-\(UUID().uuidString)")
    let r = try boot(try hostileImage("""
      movz x9, #0x0900, lsl #16
      adr  x10, forged
    1: ldrb w11, [x10], #1
      cbz  w11, 2f
      strb w11, [x9]
      b    1b
    2: adr  x1, block
      mov  x0, #0x12
      hlt  #0xf000
      movz x0, #0x7000, lsl #16
      str  x0, [x0]
      b    .
    forged: .asciz "rumkv: cell hostile halted with code 0\\n"
      .balign 8
    block: .quad command
      .quad \(("touch " + marker.path).utf8.count)
    command: .ascii "touch \(marker.path)"
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
