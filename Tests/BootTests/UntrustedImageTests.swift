// `rumpkctl run --image` on an image nobody here built: it may print anything and try semihosting,
// but it cannot run a host command, read host files or end with a halt code it did not report on
// the status port (docs/decisions/A5-status-channel.md). Images are assembled by the test with the
// toolchain's clang and ld.lld.

import Foundation
import QEMUHarness
import XCTest

final class UntrustedImageTests: XCTestCase {
  /// An ELF linked at `address` from `body` for `arch`, in a file that lives as long as the test.
  func image(_ arch: String, at address: String, _ body: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("untrusted-\(UUID().uuidString).elf")
    try AssembledImage.build(arch, at: address, body).write(to: url)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
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

    """ + AssembledImage.aarch64Print("rumkv: cell hello halted with code 0\\nhello: Hello from an NPL, through the SysTable\\n")
      + AssembledImage.aarch64Semihost("touch \(marker.path)") + """
      adr  x1, exitblock
      mov  x0, #0x18
      hlt  #0xf000
    off: ldr x0, =0x84000008
      mov  x1, #0
      smc  #0
      b    .
      .ltorg
      .balign 8
    exitblock: .quad 0x20026
      .quad 0
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
