// NPLs at EL0 on aarch64 and in U-mode on riscv64 (docs/decisions/K6-el0-npls.md), booted directly
// under QEMU: fibers that touch memory they do not own or run an undefined instruction are reported
// and end alone; the cell goes on. The other guests' boot tests check that everything else still
// works in user mode.

import Foundation
import QEMUHarness
import XCTest

final class FaultBootTests: XCTestCase {
  func run(_ guest: String, arch: String = "aarch64", icount: Bool = false, extra: [String] = []) throws -> CellOutput {
    let image = ProjectPaths.image(guest, arch)
    guard FileManager.default.fileExists(atPath: image.path) else {
      XCTFail("\(image.path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("image missing")
    }
    var args = ["run", guest, "--arch", arch, "--timeout", "60"]
    if icount { args.append("--icount") }
    args += extra
    let r = try CellProcess.run(ProjectPaths.rumpkctl, args, timeout: 90)
    XCTAssertFalse(r.timedOut, r.stdout)
    return r
  }

  /// The hexadecimal number that follows `marker` in `line`.
  func hex(after marker: String, in line: String) -> UInt64? {
    guard let r = line.range(of: marker) else { return nil }
    return UInt64(line[r.upperBound...].prefix { $0.isHexDigit }, radix: 16)
  }

  /// Console lines, split on Unicode scalars ("\r\n" is one Character).
  func lines(_ r: CellOutput) -> [String] {
    r.stdout.unicodeScalars.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String(String.UnicodeScalarView($0)) }
  }

  func testFaultingFibersEndAloneAndTheCellGoesOn() throws {
    let r = try run("fault")
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    let reports = lines(r).filter { $0.hasPrefix("rumpk: fiber ") && $0.hasSuffix("; fiber ended") }
    XCTAssertEqual(reports.count, 6, r.stdout)
    XCTAssertTrue(r.has("fault: no device channel to write (no disk attached)"), r.stdout)
    // Data aborts from EL0 (EC 0x24) at the address touched; the undefined instruction (EC 0) at its PC.
    XCTAssertTrue(reports.contains { $0.contains(" fault at 0x10 (ESR 0x92") }, r.stdout)
    XCTAssertTrue(reports.contains { $0.contains(" fault at 0x50000000 (ESR 0x92") }, r.stdout)
    // NPL windows (K9): the other fiber's stack is in window B, every faulting PC in window A.
    let windowA: ClosedRange<UInt64> = 0x0800_0000...0x0FFF_FFFF, windowB: ClosedRange<UInt64> = 0x1000_0000...0x17FF_FFFF
    XCTAssertTrue(reports.contains { hex(after: " fault at 0x", in: $0).map(windowB.contains) == true && $0.contains("(ESR 0x92") }, r.stdout)
    XCTAssertTrue(reports.allSatisfy { hex(after: "ELR 0x", in: $0).map(windowA.contains) == true }, r.stdout)
    XCTAssertTrue(reports.contains { $0.contains("(ESR 0x2000000, ELR 0x") }, r.stdout)
    // A store into the kernel's private data (.kdata, EL1 only): a permission fault (DFSC 0x0F,
    // write) at exactly the address the child printed; the kernel's globals stay the kernel's.
    let probe = lines(r).first { $0.hasPrefix("fault: child writes kernel data at 0x") }
    XCTAssertNotNil(probe, r.stdout)
    if let probe {
      let address = probe.dropFirst("fault: child writes kernel data at 0x".count).uppercased()
      XCTAssertTrue(reports.contains { $0.contains(" fault at 0x\(address) (ESR 0x9200004F") }, r.stdout)
    }
    // A load from the kernel's text (K9: EL0 sees only the stub page of it): a permission fault
    // (DFSC 0x0F, read) at the address the child printed.
    let text = lines(r).first { $0.hasPrefix("fault: child reads kernel text at 0x") }
    XCTAssertNotNil(text, r.stdout)
    if let text {
      let address = text.dropFirst("fault: child reads kernel text at 0x".count).uppercased()
      XCTAssertTrue(reports.contains { $0.contains(" fault at 0x\(address) (ESR 0x9200000F") }, r.stdout)
    }
    XCTAssertFalse(r.stdout.contains("(wrong)"), r.stdout)
    XCTAssertFalse(r.has("fault: my stack was changed"), r.stdout)
    XCTAssertTrue(r.has("fault: still running"), r.stdout)
    // A 12 MiB mapping spans 7 of window B's 2 MiB blocks: the fiber's view opens all of it.
    XCTAssertTrue(r.has("fault: a 12 MiB mapping is usable end to end"), r.stdout)
    XCTAssertFalse(r.has("rumpk: exception"), r.stdout)
  }

  /// With a disk, the sixth child opens /dev/blk0 read-only and writes it: the channel's pages are
  /// read-only at EL0 (K9), so that is a permission fault (DFSC 0x0F, write) at the address it
  /// printed, in window B; the driver, writing through its own mapping, is not affected.
  func testAChannelOpenedReadOnlyCannotBeWrittenFromEL0() throws {
    try checkReadOnlyChannel(arch: "aarch64", fault: "(ESR 0x9200004F")
  }

  /// The same in U-mode on riscv64: a store page fault (scause 15) at the window-B address.
  func testAChannelOpenedReadOnlyCannotBeWrittenFromUMode() throws {
    try checkReadOnlyChannel(arch: "riscv64", fault: "(SCAUSE 0xF,")
  }

  func checkReadOnlyChannel(arch: String, fault: String) throws {
    let disk = FileManager.default.temporaryDirectory.appendingPathComponent("rumpk-fault-\(arch)-\(getpid()).img")
    XCTAssertTrue(FileManager.default.createFile(atPath: disk.path, contents: Data(count: 1 << 20)))
    defer { try? FileManager.default.removeItem(at: disk) }
    let r = try run("fault", arch: arch, extra: ["--disk", disk.path])
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    let reports = lines(r).filter { $0.hasPrefix("rumpk: fiber ") && $0.hasSuffix("; fiber ended") }
    XCTAssertEqual(reports.count, 7, r.stdout)
    let marker = "fault: child writes a channel it opened read-only at 0x"
    let line = lines(r).first { $0.hasPrefix(marker) }
    XCTAssertNotNil(line, r.stdout)
    if let line, let address = UInt64(line.dropFirst(marker.count), radix: 16) {
      XCTAssertTrue((0x1000_0000...0x17FF_FFFF).contains(address), line)
      XCTAssertTrue(reports.contains { $0.contains(" fault at 0x\(String(address, radix: 16, uppercase: true)) \(fault)") }, r.stdout)
    }
    XCTAssertFalse(r.stdout.contains("(wrong)"), r.stdout)
    XCTAssertTrue(r.has("fault: still running"), r.stdout)
  }

  /// The same guest in U-mode on riscv64: load and store page faults (scause 13, 15) at the address
  /// touched (stval), the illegal instruction (scause 2) at its PC, the store into kernel data a
  /// store page fault.
  func testFaultingFibersEndAloneAndTheCellGoesOnInUMode() throws {
    let r = try run("fault", arch: "riscv64")
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.has("NPLs in U-mode"), r.stdout)
    let reports = lines(r).filter { $0.hasPrefix("rumpk: fiber ") && $0.hasSuffix("; fiber ended") }
    XCTAssertEqual(reports.count, 6, r.stdout)
    XCTAssertTrue(reports.contains { $0.contains(" fault at 0x10 (SCAUSE 0xD,") }, r.stdout)
    XCTAssertTrue(reports.contains { $0.contains(" fault at 0x83000000 (SCAUSE 0xF,") }, r.stdout)
    // NPL windows (K9): the other fiber's stack is in window B, every faulting PC in window A.
    let windowA: ClosedRange<UInt64> = 0x0800_0000...0x0FFF_FFFF, windowB: ClosedRange<UInt64> = 0x1000_0000...0x17FF_FFFF
    XCTAssertTrue(reports.contains { hex(after: " fault at 0x", in: $0).map(windowB.contains) == true && $0.contains("(SCAUSE 0xF,") }, r.stdout)
    XCTAssertTrue(reports.allSatisfy { hex(after: "SEPC 0x", in: $0).map(windowA.contains) == true }, r.stdout)
    XCTAssertTrue(r.has("fault: no device channel to write (no disk attached)"), r.stdout)
    // The illegal instruction: reported at its own address, which is also the SEPC.
    XCTAssertTrue(reports.contains { line in
      guard line.contains("(SCAUSE 0x2, SEPC 0x"), let at = line.range(of: " fault at ") else { return false }
      let address = line[at.upperBound...].prefix { $0 != " " }
      return line.contains("SEPC \(address))")
    }, r.stdout)
    // A store into the kernel's private data (.kdata, S-only in the U-mode view): a store page
    // fault at exactly the address the child printed; the kernel's globals stay the kernel's.
    let probe = lines(r).first { $0.hasPrefix("fault: child writes kernel data at 0x") }
    XCTAssertNotNil(probe, r.stdout)
    if let probe {
      let address = probe.dropFirst("fault: child writes kernel data at 0x".count).uppercased()
      XCTAssertTrue(reports.contains { $0.contains(" fault at 0x\(address) (SCAUSE 0xF,") }, r.stdout)
    }
    // A load from the kernel's text (K9: U-mode sees only the stub page of it): a load page fault.
    let text = lines(r).first { $0.hasPrefix("fault: child reads kernel text at 0x") }
    XCTAssertNotNil(text, r.stdout)
    if let text {
      let address = text.dropFirst("fault: child reads kernel text at 0x".count).uppercased()
      XCTAssertTrue(reports.contains { $0.contains(" fault at 0x\(address) (SCAUSE 0xD,") }, r.stdout)
    }
    XCTAssertFalse(r.stdout.contains("(wrong)"), r.stdout)
    XCTAssertFalse(r.has("fault: my stack was changed"), r.stdout)
    XCTAssertTrue(r.has("fault: still running"), r.stdout)
    // A 12 MiB mapping spans 7 of window B's 2 MiB blocks: the fiber's view opens all of it.
    XCTAssertTrue(r.has("fault: a 12 MiB mapping is usable end to end"), r.stdout)
    XCTAssertFalse(r.has("rumpk: exception"), r.stdout)
  }

  /// An NPL store outside the cell (0x7000_0000, the device region on riscv64 virt) is a U-mode
  /// store page fault: the fiber ends with a report, "still alive" never appears.
  func testEscapingStoreEndsTheFiberInUMode() throws {
    let r = try run("escape", arch: "riscv64")
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.has("escape: writing outside my window"), r.stdout)
    XCTAssertTrue(r.has("rumpk: fiber 0 fault at 0x70000000 (SCAUSE 0xF,"), r.stdout)
    XCTAssertFalse(r.has("escape: still alive"), r.stdout)
  }

  /// The bench guest's syscall round trip is now a real EL0 -> EL1 -> EL0 (U -> S -> U) trap; under -icount the
  /// numbers are instruction counts. They must be printed and plausible (a trap costs more than a
  /// direct call but stays well under a thousand instructions).
  func testBenchMeasuresTheTrapRoundTrip() throws {
    for arch in ["aarch64", "riscv64"] {
      let r = try run("bench", arch: arch, icount: true)
      XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
      let line = lines(r).first { $0.hasPrefix("bench: syscall round trip (time): ") }
      let n = line.flatMap { Int($0.dropFirst("bench: syscall round trip (time): ".count).prefix { $0.isNumber }) }
      XCTAssertNotNil(n, "\(arch): \(r.stdout)")
      if let n { XCTAssertTrue(n > 20 && n < 1000, "\(arch): round trip \(n) instructions: \(r.stdout)") }
      XCTAssertTrue(r.has("bench: done"), "\(arch): \(r.stdout)")
    }
  }

  /// `--bootarg rumpk.bench=switch` makes the kernel measure its own switch before the guest runs:
  /// the context switch alone and a yield between two kernel fibers, both printed, the first
  /// cheaper than the second, and the cell then boots its guest as usual. Without the word, neither
  /// line appears.
  func testKernelSwitchBenchRunsOnlyWhenTheBootArgumentsAskForIt() throws {
    func count(_ r: CellOutput, _ prefix: String) -> Int? {
      lines(r).first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count).prefix { $0.isNumber }) }
    }
    for arch in ["aarch64", "riscv64"] {
      let r = try run("bench", arch: arch, icount: true, extra: ["--bootarg", "rumpk.bench=switch"])
      XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
      let context = count(r, "bench: context switch (register save/restore and stack switch, no scheduler): ")
      let yield = count(r, "bench: kernel fiber switch (yield between two kernel fibers): ")
      XCTAssertNotNil(context, "\(arch): \(r.stdout)")
      XCTAssertNotNil(yield, "\(arch): \(r.stdout)")
      if let context, let yield {
        XCTAssertTrue(context > 10 && context < yield && yield < 1000, "\(arch): \(context) / \(yield): \(r.stdout)")
      }
      XCTAssertTrue(r.has("bench: done"), "\(arch): \(r.stdout)")
      let plain = try run("bench", arch: arch, icount: true)
      XCTAssertFalse(plain.stdout.contains("bench: context switch"), "\(arch): \(plain.stdout)")
    }
  }
}
