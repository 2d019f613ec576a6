// `rumpkctl run --image` on an image nobody here built: it may print anything and try semihosting,
// but it cannot run a host command, read host files or end with a halt code it did not report on
// the status port (docs/decisions/A5-status-channel.md). Images are assembled by the test with the
// toolchain's clang and ld.lld.

import Foundation
import QEMUHarness
import XCTest

final class UntrustedImageTests: XCTestCase {
  /// An ELF linked at `address` from `body` (assembly after `_start:`) for `arch`.
  func image(_ arch: String, at address: String, _ body: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("untrusted-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    let source = dir.appendingPathComponent("image.S"), object = dir.appendingPathComponent("image.o")
    let elf = dir.appendingPathComponent("image.elf"), script = dir.appendingPathComponent("image.ld")
    try ".text\n.global _start\n_start:\n\(body)\n".write(to: source, atomically: true, encoding: .utf8)
    try "ENTRY(_start)\nSECTIONS { . = \(address); .text : { *(.text) } }\n".write(to: script, atomically: true, encoding: .utf8)
    let bin = try CellProcess.run("/usr/bin/env", ["sh", "-c", "dirname \"$(command -v swiftc)\""])
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let target = arch == "aarch64" ? "--target=aarch64-none-elf" : "--target=riscv64-none-elf"
    var r = try CellProcess.run("\(bin)/clang", [target, "-c", source.path, "-o", object.path])
    XCTAssertEqual(r.status, 0, r.stderr)
    r = try CellProcess.run("\(bin)/ld.lld", ["-T", script.path, "-static", "-nostdlib", "-z", "max-page-size=4096",
                                             "-o", elf.path, object.path])
    XCTAssertEqual(r.status, 0, r.stderr)
    return elf
  }

  func marker() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("rumpk-semihost-\(UUID().uuidString)")
  }

  func run(_ arch: String, _ image: URL) throws -> CellOutput {
    let r = try CellProcess.run(ProjectPaths.rumpkctl, ["run", "untrusted", "--arch", arch, "--image", image.path,
                                                         "--timeout", "20"], timeout: 40)
    XCTAssertFalse(r.timedOut, r.stdout + r.stderr)
    return r
  }

  /// aarch64 at EL2 (direct boots enter there): print Rumkv's and the kernel's words, call
  /// SYS_SYSTEM and SYS_EXIT(0) through HLT #0xF000, then power off through PSCI. Without
  /// semihosting HLT is undefined: the vector powers off.
  func testAarch64SemihostingAndForgedLinesChangeNothing() throws {
    let marker = marker()
    let elf = try image("aarch64", at: "0x40200000", """
      adr  x0, vectors
      msr  vbar_el2, x0
      isb
      movz x9, #0x0900, lsl #16
      adr  x10, forged
    1: ldrb w11, [x10], #1
      cbz  w11, 2f
      strb w11, [x9]
      b    1b
    2: adr  x1, block
      mov  x0, #0x12
      hlt  #0xf000
      adr  x1, exitblock
      mov  x0, #0x18
      hlt  #0xf000
    off: ldr x0, =0x84000008
      mov  x1, #0
      smc  #0
      b    .
      .ltorg
    forged: .asciz "rumkv: cell hello halted with code 0\\nhello: Hello from an NPL, through the SysTable\\n"
      .balign 8
    block: .quad command
      .quad \(("touch " + marker.path).utf8.count)
    exitblock: .quad 0x20026
      .quad 0
    command: .ascii "touch \(marker.path)"
      .balign 2048
    vectors:
      .rept 16
      b off
      .balign 128
      .endr
    """)
    let r = try run("aarch64", elf)
    XCTAssertTrue(r.has("rumkv: cell hello halted with code 0"), "the forged line is on the console: \(r.stdout)")
    XCTAssertEqual(r.status, 125, "no halt record: rumpkctl's own status, not the image's: \(r.stderr)")
    XCTAssertTrue(r.stderr.contains("without a halt record"), r.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "semihosting ran a host command")
  }

  /// riscv64 in S-mode under OpenSBI: semihosting's ebreak sequence, then the sifive test device's
  /// "pass" (QEMU exits 0): without a record on the status port that is still no halt.
  func testRiscv64SemihostingAndAPassingExitChangeNothing() throws {
    let marker = marker()
    let elf = try image("riscv64", at: "0x80200000", """
      la   t0, off
      csrw stvec, t0
      li   a0, 0x12
      la   a1, block
      .option push
      .option norvc
      slli zero, zero, 0x1f
      ebreak
      srai zero, zero, 7
      .option pop
      .balign 4
    off: li t0, 0x100000
      li   t1, 0x5555
      sw   t1, 0(t0)
      j    .
      .balign 8
    block: .quad command
      .quad \(("touch " + marker.path).utf8.count)
    command: .ascii "touch \(marker.path)"
    """)
    let r = try run("riscv64", elf)
    XCTAssertEqual(r.status, 125, r.stdout + r.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "semihosting ran a host command")
  }

  /// A cell whose NPL prints Rumkv's words for a clean halt and sleeps is not reported halted.
  func testForgedHaltLinesFromAnNPLAreNotAHalt() throws {
    for arch in ["aarch64", "riscv64"] {
      guard FileManager.default.fileExists(atPath: ProjectPaths.image("forger", arch).path) else {
        return XCTFail("build/images/forger-\(arch).elf is missing: run `make images`")
      }
      let r = try CellProcess.run(ProjectPaths.rumpkctl, ["run", "forger", "--arch", arch, "--timeout", "3"], timeout: 30)
      XCTAssertTrue(r.has("rumkv: cell forger halted with code 0"), "\(arch): \(r.stdout)")
      XCTAssertEqual(r.status, 124, "\(arch): only the timeout ends it: \(r.stderr)")
    }
  }
}
