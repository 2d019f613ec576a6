// Issue 10: real boots of the hello cell on device trees libfdt accepts but that lie about the
// machine. Each tree is QEMU's own board tree for the machine rumpkctl starts (dumpdtb), edited as
// DTS with dtc or padded, and booted with `rumpkctl run hello --dtb FILE`. Every boot must end by
// itself (never the 124 of a timeout) with a console line; a refused tree must not end as success,
// and a tree with a documented fallback (docs/decisions/K10-board-values.md) must boot to the NPL.
//
// What QEMU does to a -dtb decides what reaches the kernel:
// - aarch64: QEMU replaces every /memory node with its own (-m), sets /psci method itself, and
//   refuses a tree whose root has #address-cells or #size-cells 0; it loads the file into
//   2 × (size + 10000) bytes and drops the tree without a word when that does not fit below the
//   image (2 MiB at the start of RAM). The /memory classes therefore boot on QEMU's memory node
//   there; the host tests (BoardValueTests, MemoryPlanBoundaryTests) cover them for aarch64.
// - riscv64: QEMU keeps the tree as it is (packed), so every class reaches the kernel. OpenSBI reads
//   the tree too and itself traps or hangs on several of these classes (a UART, PLIC or test device
//   it cannot use), so riscv64 boots without firmware (`--bios none`, the image's M-mode shim).
//
// Rumkv is covered too: a board tree it refuses and a board UART it cannot use end with a line.

import Foundation
import QEMUHarness
import StatusLog
import XCTest

final class HostileTreeBootTests: XCTestCase {
  /// What a hostile tree must lead to.
  enum Expect: Sendable {
    /// The cell boots to its NPL and halts with 0; `line` (a fallback's warning) is on the console.
    case boots(line: String?)
    /// The cell stops with `line` on the console and an exit status other than 0 and 124.
    case refused(line: String)
    /// QEMU itself refuses the tree: it exits, not with 0 and not by timeout, saying `line`.
    case qemuRefuses(line: String)
    /// No tree reaches the kernel: it runs on the QEMU virt defaults, saying `line`, but without a
    /// tree it finds no status port, so rumpkctl reports 125 (no halt record), never success.
    case unreported(line: String)
  }

  struct Case: Sendable {
    var name: String
    var dts: @Sendable (String) -> String
    var pad: Int? = nil
    /// riscv64 only: boot through OpenSBI instead of the image's M-mode shim.
    var openSBI = false
    var expect: Expect
  }

  static let machines: [String: [String]] = [
    "aarch64": ["-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72", "-m", "512M"],
    "riscv64": ["-machine", "virt", "-m", "256M"],
  ]

  static let scratch: URL = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-trees-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }()

  static func tool(_ name: String, _ args: [String]) throws -> CellOutput {
    let r = try CellProcess.run("/usr/bin/env", [name] + args, timeout: 30)
    guard r.status == 0, !r.timedOut else {
      throw NSError(domain: "HostileTreeBootTests", code: Int(r.status),
                    userInfo: [NSLocalizedDescriptionKey: "\(name) \(args.joined(separator: " ")) failed: \(r.stderr)"])
    }
    return r
  }

  /// QEMU's own tree for `arch`'s machine, as DTS (dumped once per arch and process).
  nonisolated(unsafe) static var sources: [String: String] = [:]
  static func source(_ arch: String) throws -> String {
    if let s = sources[arch] { return s }
    let dtb = scratch.appendingPathComponent("board-\(arch).dtb")
    _ = try tool("qemu-system-\(arch)", machines[arch]! + ["-nodefaults", "-display", "none",
                                                          "-machine", "dumpdtb=\(dtb.path)"])
    let dts = try tool("dtc", ["-q", "-I", "dtb", "-O", "dts", dtb.path]).stdout
    sources[arch] = dts
    return dts
  }

  /// The DTS compiled with dtc (padded with `pad` bytes of free space when given).
  static func compile(_ dts: String, name: String, pad: Int?) throws -> URL {
    let source = scratch.appendingPathComponent("\(name).dts"), dtb = scratch.appendingPathComponent("\(name).dtb")
    try dts.write(to: source, atomically: true, encoding: .utf8)
    var args = ["-q", "-I", "dts", "-O", "dtb", "-o", dtb.path]
    if let pad { args += ["-p", String(pad)] }
    _ = try tool("dtc", args + [source.path])
    return dtb
  }

  // DTS edits on dtc's output: nodes are "\tname {" at their depth, properties "\t\tkey = value;".

  /// `dts` with `property` of the first node whose name starts with `node` set to `value` (added
  /// when the node lacks it).
  static func set(_ dts: String, node: String, _ property: String, _ value: String) -> String {
    guard let start = dts.range(of: "\t" + node), let end = dts.range(of: "};", range: start.upperBound..<dts.endIndex),
          let open = dts.range(of: "{\n", range: start.upperBound..<end.lowerBound) else { return dts }
    var body = String(dts[open.upperBound..<end.lowerBound])
    let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
    if let i = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(property + " = ") }) {
      var copy = lines
      let indent = lines[i].prefix { $0 == "\t" }
      copy[i] = indent + "\(property) = \(value);"
      body = copy.joined(separator: "\n")
    } else {
      body = "\t\t\(property) = \(value);\n" + body
    }
    return String(dts[..<open.upperBound]) + body + String(dts[end.lowerBound...])
  }

  /// `dts` without the first node whose name starts with `node` (a node without children).
  static func drop(_ dts: String, node: String) -> String {
    guard let start = dts.range(of: "\t" + node), let end = dts.range(of: "};\n", range: start.upperBound..<dts.endIndex)
    else { return dts }
    return String(dts[..<start.lowerBound]) + String(dts[end.upperBound...])
  }

  /// `dts` with the first `old` (the root's, in dtc's output) replaced by `new`.
  static func firstReplaced(_ dts: String, _ old: String, _ new: String) -> String {
    guard let r = dts.range(of: old) else { return dts }
    return dts.replacingCharacters(in: r, with: new)
  }

  /// `dts` with 70 nested nodes before /chosen: libfdt takes them, the reader stops at 64.
  static func deep(_ dts: String) -> String {
    let nest = (0..<70).map { "\tn\($0) {\n" }.joined() + String(repeating: "\t};\n", count: 70)
    return dts.replacingOccurrences(of: "\tchosen {", with: nest + "\tchosen {")
  }

  static let hello = "hello: Hello from an NPL, through the SysTable"

  static let riscv64: [Case] = [
    Case(name: "memory-size-0", dts: { set($0, node: "memory@", "reg", "<0x00 0x80000000 0x00 0x00>") },
         expect: .refused(line: "rumpk: /memory reg: size 0; stopping the cell")),
    Case(name: "memory-wrapping", dts: { set($0, node: "memory@", "reg", "<0x00 0x80000000 0xffffffff 0xffffffff>") },
         expect: .refused(line: "rumpk: /memory reg: base + size wraps past 2^64")),
    Case(name: "memory-huge", dts: { set($0, node: "memory@", "reg", "<0x00 0x80000000 0x7fffffff 0x00>") },
         expect: .boots(line: nil)),
    Case(name: "memory-at-0", dts: { set($0, node: "memory@", "reg", "<0x00 0x00 0x00 0x10000000>") },
         expect: .refused(line: "rumpk: /memory reg: does not hold the running image")),
    Case(name: "memory-below-image", dts: { set($0, node: "memory@", "reg", "<0x00 0x80000000 0x00 0x100000>") },
         expect: .refused(line: "rumpk: /memory reg: does not hold the running image")),
    Case(name: "address-cells-0",
         dts: { firstReplaced($0, "\t#address-cells = <0x02>;", "\t#address-cells = <0x00>;") },
         expect: .refused(line: "rumpk: /memory reg: does not hold the running image")),
    Case(name: "no-memory-with-rng-seed", dts: { drop($0, node: "memory@") },
         expect: .refused(line: "rumpk: /memory reg: missing; stopping the cell")),
    Case(name: "uart-reg-0", dts: { set($0, node: "serial@10000000", "reg", "<0x00 0x00 0x00 0x100>") },
         expect: .boots(line: "reg, reg-shift or reg-io-width: at address 0; console stays on QEMU virt's UART")),
    Case(name: "uart-near-2^64", dts: { set($0, node: "serial@10000000", "reg", "<0xffffffff 0xfffff000 0x00 0x100>") },
         expect: .boots(line: "outside the device range this image maps; console stays on QEMU virt's UART")),
    Case(name: "uart-reg-shift-7", dts: { set($0, node: "serial@10000000", "reg-shift", "<0x07>") },
         expect: .boots(line: "value out of range; console stays on QEMU virt's UART")),
    Case(name: "plic-reg-ffffffff", dts: { set($0, node: "plic@", "reg", "<0x00 0xffffffff 0x00 0x600000>") },
         expect: .boots(line: "rumpk: plic@c000000 reg: outside the device range this image maps; no device interrupts")),
    Case(name: "test-device-reg-0", dts: { set($0, node: "test@", "reg", "<0x00 0x00 0x00 0x1000>") },
         expect: .boots(line: "rumpk: test@100000 reg: at address 0; power-off through SBI SRST")),
    Case(name: "nested-too-deep", dts: deep,
         expect: .refused(line: ": nested too deep; stopping the cell")),
    // Without a test device power-off goes through SBI SRST: the shim, or OpenSBI, which finds no
    // reset device in the tree either; QEMU virt's own test device is the last resort (Power.swift).
    Case(name: "no-test-device-no-memory", dts: { drop(drop($0, node: "test@"), node: "memory@") },
         expect: .refused(line: "rumpk: /memory reg: missing; stopping the cell")),
    Case(name: "no-test-device-opensbi", dts: { drop($0, node: "test@") }, openSBI: true, expect: .boots(line: nil)),
    // 2.3 MB of free space: QEMU packs a riscv64 -dtb, so the cell sees the small tree and boots.
    Case(name: "padded-2.3MB", dts: { $0 }, pad: 2_300_000, expect: .boots(line: nil)),
  ]

  static let aarch64: [Case] = [
    // QEMU replaces /memory on aarch64: these boot on its memory node.
    Case(name: "memory-size-0", dts: { set($0, node: "memory@", "reg", "<0x00 0x40000000 0x00 0x00>") },
         expect: .boots(line: nil)),
    Case(name: "no-memory-with-rng-seed", dts: { drop($0, node: "memory@") }, expect: .boots(line: nil)),
    Case(name: "address-cells-0",
         dts: { firstReplaced($0, "\t#address-cells = <0x02>;", "\t#address-cells = <0x00>;") },
         expect: .qemuRefuses(line: "dtb file invalid")),
    Case(name: "uart-reg-0", dts: { set($0, node: "pl011@", "reg", "<0x00 0x00 0x00 0x1000>") },
         expect: .boots(line: "rumpk: /pl011@9000000 reg: at address 0; console stays on QEMU virt's UART")),
    Case(name: "uart-near-2^64", dts: { set($0, node: "pl011@", "reg", "<0xffffffff 0xfffff000 0x00 0x1000>") },
         expect: .boots(line: "rumpk: /pl011@9000000 reg: base + size wraps past 2^64; console stays on QEMU virt's UART")),
    Case(name: "gic-reg-outside-devices",
         dts: { set($0, node: "intc@", "reg", "<0x00 0xffffffff 0x00 0x10000 0x00 0x80a0000 0x00 0xf60000>") },
         expect: .boots(line: "reg or redistributor-stride: outside the device range this image maps; no interrupt controller")),
    Case(name: "nested-too-deep", dts: deep,
         expect: .refused(line: ": nested too deep; stopping the cell")),
    // About 1.8 MiB once QEMU has loaded it (2 × (size + 10000)): over the old 1 MiB limit.
    Case(name: "padded-900kB", dts: { $0 }, pad: 900_000, expect: .boots(line: nil)),
    // Does not fit below the image once loaded: QEMU drops it, the kernel says so and runs on the
    // QEMU virt defaults, without a status port.
    Case(name: "padded-1.1MB", dts: { $0 }, pad: 1_100_000,
         expect: .unreported(line: "rumpk: no device tree found in x0 or at the start of RAM")),
  ]

  func boot(_ arch: String, _ c: Case) throws {
    let dtb = try Self.compile(c.dts(try Self.source(arch)), name: "\(arch)-\(c.name)", pad: c.pad)
    var args = ["run", "hello", "--arch", arch, "--dtb", dtb.path, "--timeout", "15"]
    if arch == "riscv64" && !c.openSBI { args += ["--bios", "none"] }
    let r = try CellProcess.run(ProjectPaths.rumpkctl, args, timeout: 30)
    let context = "\(arch) \(c.name): status \(r.status)\n\(r.stdout)\(r.stderr)"
    XCTAssertFalse(r.timedOut, context)
    XCTAssertNotEqual(r.status, 124, context)
    switch c.expect {
    case .boots(let line):
      XCTAssertEqual(r.status, 0, context)
      XCTAssertTrue(r.has(Self.hello), context)
      if let line { XCTAssertTrue(r.has(line), context) }
    case .refused(let line):
      XCTAssertNotEqual(r.status, 0, context)
      XCTAssertTrue(r.has(line), context)
      XCTAssertFalse(r.has(Self.hello), context)
    case .qemuRefuses(let line):
      XCTAssertNotEqual(r.status, 0, context)
      XCTAssertTrue((r.stdout + r.stderr).contains(line), context)
    case .unreported(let line):
      XCTAssertEqual(r.status, 125, context)
      XCTAssertTrue(r.has(line), context)
    }
  }

  func requireImage(_ arch: String) throws {
    let image = ProjectPaths.image("hello", arch)
    guard FileManager.default.fileExists(atPath: image.path) else {
      XCTFail("\(image.path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("image missing")
    }
  }

  func testHostileTreesOnRiscv64() throws {
    try requireImage("riscv64")
    for c in Self.riscv64 { try boot("riscv64", c) }
  }

  func testHostileTreesOnAarch64() throws {
    try requireImage("aarch64")
    for c in Self.aarch64 { try boot("aarch64", c) }
  }

  /// Rumkv on a board tree it refuses, and on one whose console UART it cannot use: each ends by
  /// itself with the line that says why, and never reports a cell that halted with 0.
  func testRumkvEndsVisiblyOnABoardTreeItRefuses() throws {
    let rumkv = ProjectPaths.root.appendingPathComponent("build/rumkv/rumkv-aarch64.bin")
    guard FileManager.default.fileExists(atPath: rumkv.path) else {
      XCTFail("\(rumkv.path) is missing: run `make images`")
      throw XCTSkip("Rumkv missing")
    }
    let machine = ["-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72", "-m", "1G",
                   "-nodefaults", "-display", "none"]
    let dump = Self.scratch.appendingPathComponent("rumkv-board.dtb")
    _ = try Self.tool("qemu-system-aarch64", machine + ["-machine", "dumpdtb=\(dump.path)"])
    var board = try Self.tool("dtc", ["-q", "-I", "dtb", "-O", "dts", dump.path]).stdout
    let node = "\trumkv {\n\t\tcompatible = \"rumpk,rumkv-1\";\n\t\tcell@0 {\n\t\t\tname = \"hello\";\n"
      + "\t\t\timage = \"hello\";\n\t\t\tmemory = <0x0 0x40000000 0x0 0x04000000>;\n\t\t\tcpus = <0x0>;\n"
      + "\t\t\tdevices = \"uart\";\n\t\t};\n\t};\n"
    if let end = board.range(of: "};", options: .backwards) { board = String(board[..<end.lowerBound]) + node + "};\n" }
    // (name, tree, console line, Rumkv's off code on its management port; nil: the tree is refused
    // before Rumkv can find its port, so there is no record at all).
    let cases: [(String, String, String, UInt64?)] = [
      ("rumkv-too-deep", Self.deep(board), "is malformed: nested too deep", nil),
      ("rumkv-uart-reg-0", Self.set(board, node: "pl011@", "reg", "<0x00 0x00 0x00 0x1000>"),
       "rumkv: pl011@9000000 reg: at address 0; console stays on QEMU virt's UART", 2),
    ]
    for (name, dts, line, off) in cases {
      let source = Self.scratch.appendingPathComponent("\(name).dts"), dtb = Self.scratch.appendingPathComponent("\(name).dtb")
      let port = Self.scratch.appendingPathComponent("\(name).jsonl")
      try dts.write(to: source, atomically: true, encoding: .utf8)
      _ = try Self.tool("dtc", ["-q", "-E", "no-name_properties", "-I", "dts", "-O", "dtb", "-o", dtb.path, source.path])
      var r = try CellProcess.run("/usr/bin/env", ["qemu-system-aarch64"] + machine
                                  + ["-serial", "stdio", "-kernel", rumkv.path, "-dtb", dtb.path]
                                  + StatusPortFile.arguments(path: port, arch: "aarch64"), timeout: 15)
      r.records = StatusPortFile.read(port)
      let context = "\(name): status \(r.status), records \(r.records)\n\(r.stdout)\(r.stderr)"
      XCTAssertFalse(r.timedOut, context)
      XCTAssertTrue(r.has(line), context)
      XCTAssertNil(r.haltCode, context)
      XCTAssertEqual(r.offCode, off, context)
    }
  }
}
