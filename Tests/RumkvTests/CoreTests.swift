// Host unit tests of Rumkv's portable core (rumkv/Core): node configuration, ELF loading, the cell
// tree, CellInfo and the hypercalls.

import CellBundle
import FDT
import Foundation
import QEMUHarness
@testable import RumkvCore
import XCTest

/// Console output captured for assertions.
nonisolated(unsafe) var captured: [UInt8] = []
@_cdecl("rumkv_test_capture") func capture(_ b: UInt8) { captured.append(b) }

final class CoreTests: XCTestCase {
  override func setUp() {
    captured = []
    Console.sink = capture
  }

  var output: String { String(decoding: captured, as: UTF8.self) }

  /// A board tree built with FDTWriter: 1 GiB of RAM at 0x40000000, one CPU, a pl011, /rumkv from
  /// `cell` (property name -> raw value bytes).
  func board(cell: [(String, [UInt8])]?, buffer: UnsafeMutableRawBufferPointer, uart: UInt64 = 0x900_0000) throws -> FDT {
    var w = FDTWriter(buffer: buffer)
    try w.beginNode("")
    try w.propertyU32("#address-cells", 2)
    try w.propertyU32("#size-cells", 2)
    try w.beginNode("memory", unitAddress: 0x4000_0000)
    try w.propertyString("device_type", "memory")
    try w.propertyReg(address: 0x4000_0000, size: 0x4000_0000, addressCells: 2, sizeCells: 2)
    try w.endNode()
    try w.beginNode("cpus")
    try w.propertyU32("#address-cells", 1)
    try w.propertyU32("#size-cells", 0)
    try w.beginNode("cpu", unitAddress: 0)
    try w.propertyString("device_type", "cpu")
    try w.propertyU32("reg", 0)
    try w.endNode()
    try w.endNode()
    try w.beginNode("pl011", unitAddress: 0x900_0000)
    try w.propertyString("compatible", "arm,pl011")
    try w.propertyReg(address: uart, size: 0x1000, addressCells: 2, sizeCells: 2)
    try w.endNode()
    try w.beginNode("chosen")
    try w.propertyString("stdout-path", "/pl011@9000000")
    try w.endNode()
    if let cell {
      try w.beginNode("rumkv")
      try w.propertyString("compatible", "rumpk,rumkv-1")
      try w.beginNode("cell", unitAddress: 0)
      for (name, value) in cell {
        var n = Array(name.utf8)
        try n.withUnsafeMutableBytes { nb in
          try value.withUnsafeBytes { try w.property(UnsafeRawBufferPointer(nb), bytes: $0) }
        }
      }
      try w.endNode()
      try w.endNode()
    }
    try w.endNode()
    let size = try w.finish()
    return try FDT(UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
  }

  static func string(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
  static func cells(_ v: [UInt32]) -> [UInt8] { v.flatMap { [UInt8($0 >> 24), UInt8($0 >> 16 & 0xFF), UInt8($0 >> 8 & 0xFF), UInt8($0 & 0xFF)] } }
  static let goodCell: [(String, [UInt8])] = [
    ("name", string("hello")), ("image", string("hello")),
    ("memory", cells([0, 0x4000_0000, 0, 0x0400_0000])), ("cpus", cells([0])), ("devices", string("uart")),
  ]
  let layout = NodeLayout(rumkv: PhysicalRange(base: 0x7000_0000, size: 0x10_0000)!,
                          sysTable: PhysicalRange(base: 0x5000_0000, size: 0x1000)!,
                          bundle: PhysicalRange(base: 0x4800_0000, size: 0x10_0000)!)

  /// BoardDescription trees read during the test: a table's names point into its tree, so each lives until
  /// the test ends.
  var boards: [UnsafeMutableRawBufferPointer] = []
  override func tearDown() {
    for b in boards { b.deallocate() }
    boards = []
  }

  func read(_ cell: [(String, [UInt8])]?) throws -> Result<CellTable, Refusal> {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
    boards.append(buffer)
    let fdt = try board(cell: cell, buffer: buffer)
    do throws(Refusal) { return .success(try NodeConfig.read(BoardDescription(fdt), layout: layout)) }
    catch { return .failure(error) }
  }

  func replacing(_ key: String, with value: [UInt8]?) -> [(String, [UInt8])] {
    var c = CoreTests.goodCell.filter { $0.0 != key }
    if let value { c.append((key, value)) }
    return c
  }

  func testGoodConfigurationReadsOneCell() throws {
    guard case .success(let t) = try read(CoreTests.goodCell) else { return XCTFail(output) }
    XCTAssertEqual(t.count, 1)
    XCTAssertEqual(t[0].window, PhysicalRange(base: 0x4000_0000, size: 0x400_0000))
    XCTAssertEqual(t[0].cpus, 1)
    XCTAssertTrue(t[0].devices.contains(.uart))
    XCTAssertEqual(String(decoding: t[0].name, as: UTF8.self), "hello")
  }

  func testRefusalsNameNodeAndProperty() throws {
    let cases: [([(String, [UInt8])]?, String)] = [
      (nil, "rumkv: /rumkv: node missing"),
      (replacing("memory", with: nil), "rumkv: /rumkv/cell@0: property 'memory' missing"),
      (replacing("memory", with: CoreTests.cells([0, 0x4000_0000, 0x400_0000])),
       "property 'memory' malformed: expected 4 cells <base-hi base-lo size-hi size-lo>, got 3 cells"),
      (replacing("memory", with: CoreTests.cells([0, 0x4010_0000, 0, 0x400_0000])), "is not 2 MiB aligned"),
      (replacing("memory", with: CoreTests.cells([0, 0x7e00_0000, 0, 0x400_0000])), "lies outside the board's RAM"),
      (replacing("memory", with: CoreTests.cells([0, 0x6fe0_0000, 0, 0x40_0000])), "overlaps Rumkv itself"),
      (replacing("memory", with: CoreTests.cells([0, 0x4600_0000, 0, 0x400_0000])), "overlaps the cell bundle"),
      (replacing("memory", with: CoreTests.cells([0, 0x5000_0000, 0, 0x20_0000])), "overlaps the SysTable page"),
      (replacing("memory", with: CoreTests.cells([0xFFFF_FFFF, 0xFFE0_0000, 0, 0x40_0000])), "empty or wraps"),
      (replacing("name", with: Array("hello".utf8)), "property 'name' malformed"),
      (replacing("image", with: CoreTests.string(String(repeating: "x", count: 32))), "property 'image' malformed"),
      (replacing("cpus", with: CoreTests.cells([3])), "names CPU 3, which the board does not have"),
      (replacing("cpus", with: []), "property 'cpus' malformed"),
      (replacing("devices", with: CoreTests.string("virtio-net")), "names unknown device 'virtio-net'"),
    ]
    for (cell, message) in cases {
      captured = []
      guard case .failure(let r) = try read(cell) else { XCTFail("accepted: \(message)"); continue }
      XCTAssertEqual(r.code, ExitCode.refused)
      XCTAssertTrue(output.contains(message), "expected '\(message)' in '\(output)'")
      XCTAssertEqual(output.filter { $0 == "\n" }.count, 1, output)
    }
  }

  // MARK: ELF loading

  /// A minimal ELF64 AArch64 executable with one PT_LOAD of `file` bytes at `address` (memsz `mem`).
  func elf(address: UInt64, file: [UInt8], mem: UInt64, entry: UInt64? = nil, machine: UInt16 = ELFLoader.machineAArch64) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 0x1000)
    func put(_ o: Int, _ v: UInt64, _ n: Int) { for i in 0..<n { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }
    b[0] = 0x7F; b[1] = 0x45; b[2] = 0x4C; b[3] = 0x46; b[4] = 2; b[5] = 1; b[6] = 1
    put(16, 2, 2); put(18, UInt64(machine), 2); put(24, entry ?? address, 8); put(32, 64, 8)
    put(52, 64, 2); put(54, 56, 2); put(56, 1, 2)
    put(64, 1, 4); put(64 + 8, 0x1000, 8); put(64 + 16, address, 8); put(64 + 24, address, 8)
    put(64 + 32, UInt64(file.count), 8); put(64 + 40, mem, 8)
    return b + file
  }

  func load(_ image: [UInt8], window: [UInt8]) -> (Result<UInt64, Refusal>, [UInt8]) {
    var memory = window
    let result: Result<UInt64, Refusal> = memory.withUnsafeMutableBytes { m in
      image.withUnsafeBytes { img in
        let guest = GuestMemory(window: PhysicalRange(base: 0x4000_0000, size: UInt64(m.count))!, host: m.baseAddress!)
        var cell = Cell()
        cell.window = guest.window
        do throws(Refusal) {
          return .success(try ELFLoader.load(img, into: guest, machine: ELFLoader.machineAArch64,
                                             reserved: PhysicalRange(base: 0x4000_0000, size: 0x1000)!, cell: cell))
        } catch { return .failure(error) }
      }
    }
    return (result, memory)
  }

  func testELFSegmentsAreCopiedAndBSSZeroed() {
    let (r, m) = load(elf(address: 0x4000_2000, file: [1, 2, 3], mem: 8), window: [UInt8](repeating: 0xAA, count: 0x4000))
    XCTAssertEqual(try r.get(), 0x4000_2000, output)
    XCTAssertEqual(Array(m[0x2000..<0x2009]), [1, 2, 3, 0, 0, 0, 0, 0, 0xAA])
  }

  func testELFProblemsAreRefusedWithoutTouchingTheWindow() {
    let window = [UInt8](repeating: 0xAA, count: 0x4000)
    let bad: [([UInt8], String)] = [
      (elf(address: 0x4000_3000, file: [1], mem: 0x2000), "does not fit the window"),
      (elf(address: 0x4000_0800, file: [1], mem: 8), "overlaps the cell DTB area"),
      (elf(address: 0x4000_2000, file: [1], mem: 8, machine: ELFLoader.machineRISCV), "is built for another machine"),
      (elf(address: 0x4000_2000, file: [1], mem: 8, entry: 0x4000_3000), "entry point outside"),
      (Array(elf(address: 0x4000_2000, file: [1], mem: 8).prefix(40)), "is not an ELF file"),
      (elf(address: 0xFFFF_FFFF_FFFF_F000, file: [1], mem: 0x2000), "does not fit the window"),
    ]
    for (image, message) in bad {
      captured = []
      let (r, m) = load(image, window: window)
      if case .success = r { XCTFail("accepted: \(message)") }
      XCTAssertTrue(output.contains(message), "expected '\(message)' in '\(output)'")
      XCTAssertEqual(m, window)
    }
  }

  // MARK: bundled images (LoadableImage)

  func compact(_ image: [UInt8]) -> [UInt8]? {
    image.withUnsafeBytes { e -> [UInt8]? in
      guard let size = LoadableImage.compactSize(of: e) else { return nil }
      var out = [UInt8](repeating: 0, count: size)
      guard out.withUnsafeMutableBytes({ LoadableImage.compact(e, into: $0) }) == size else { return nil }
      return out
    }
  }

  /// The hello cell as built: its compact form is smaller, has no section headers, and the loader
  /// puts exactly the same bytes at the same addresses from it, with the same entry point.
  func testACompactImageLoadsExactlyAsTheFullFile() throws {
    let path = ProjectPaths.image("hello", "aarch64")
    guard let full = try? [UInt8](Data(contentsOf: path)) else {
      XCTFail("\(path.path) is missing: run `make images` before the tests (make test does)")
      return
    }
    let small = try XCTUnwrap(compact(full))
    XCTAssertLessThan(small.count, full.count * 2 / 3, "\(small.count) of \(full.count) bytes")
    XCTAssertEqual(UInt16(small[60]) | UInt16(small[61]) << 8, 0, "no section headers")
    func loaded(_ image: [UInt8]) -> (UInt64?, [UInt8]) {
      var memory = [UInt8](repeating: 0xAA, count: 8 << 20)
      let entry: UInt64? = memory.withUnsafeMutableBytes { m in
        image.withUnsafeBytes { img in
          let guest = GuestMemory(window: PhysicalRange(base: 0x4000_0000, size: UInt64(m.count))!, host: m.baseAddress!)
          var cell = Cell()
          cell.window = guest.window
          return try? ELFLoader.load(img, into: guest, machine: ELFLoader.machineAArch64,
                                     reserved: PhysicalRange(base: 0x4000_0000, size: 0x1000)!, cell: cell)
        }
      }
      return (entry, memory)
    }
    let (e1, m1) = loaded(full), (e2, m2) = loaded(small)
    XCTAssertNotNil(e1, output)
    XCTAssertEqual(e1, e2)
    XCTAssertTrue(m1 == m2, "the windows differ")
  }

  /// What is not a well-formed ELF64 file is not reduced (the bundle carries it as it is, for the
  /// loader to refuse): garbage, truncations, a PT_LOAD whose bytes lie outside the file, a bad table.
  func testMalformedImagesAreNotCompacted() {
    let good = elf(address: 0x4000_2000, file: [1, 2, 3], mem: 8)
    XCTAssertNotNil(compact(good))
    XCTAssertEqual(compact(good)?.count, 64 + 56 + 3)
    var outside = good
    outside[64 + 32] = 0xFF; outside[64 + 33] = 0xFF  // p_filesz beyond the file
    var badTable = good
    badTable[54] = 32  // e_phentsize
    var noLoad = good
    noLoad[64] = 2  // PT_DYNAMIC
    for bad in [[UInt8](repeating: 0x7F, count: 200), Array(good.prefix(63)), outside, badTable, noLoad] {
      XCTAssertNil(compact(bad))
    }
    for n in stride(from: 0, to: good.count, by: 97) { _ = compact(Array(good.prefix(n))) }  // never traps
    good.withUnsafeBytes { e in
      var short = [UInt8](repeating: 0, count: 64 + 56 + 2)
      XCTAssertNil(short.withUnsafeMutableBytes { LoadableImage.compact(e, into: $0) })
    }
  }

  // MARK: hypercalls and CellInfo

  func testHypercallsCheckBuffersAgainstTheWindow() {
    var backing = [UInt8](repeating: 0, count: 0x2000)
    backing.withUnsafeMutableBytes { m in
      let guest = GuestMemory(window: PhysicalRange(base: 0x4000_0000, size: 0x2000)!, host: m.baseAddress!)
      var cell = Cell()
      cell.id = 0
      cell.window = guest.window
      cell.cpus = 1
      cell.dtb = 0x4000_0000
      let name: StaticString = "hello"
      cell.name = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
      func call(_ n: UInt64, _ a1: UInt64, _ a2: UInt64) -> Int64 {
        Hypercall.handle(n, a1, a2, cell: cell, memory: guest, sysTable: 0x5000_0000)
      }
      XCTAssertEqual(call(0, 0x4000_0100, 96), 96)
      XCTAssertEqual(m.load(fromByteOffset: 0x100, as: UInt32.self), CellInfoLayout.magic)
      XCTAssertEqual(m[0x110], UInt8(ascii: "h"))
      XCTAssertEqual(m.load(fromByteOffset: 0x130, as: UInt64.self), 0x4000_0000)
      XCTAssertEqual(call(0, 0x4000_0100, 95), -22)
      XCTAssertEqual(call(0, 0x4000_1FC0, 96), -14)
      XCTAssertEqual(call(0, UInt64.max - 10, 96), -14)
      m[0x200] = UInt8(ascii: "h"); m[0x201] = UInt8(ascii: "i"); m[0x202] = 0x1B
      captured = []
      XCTAssertEqual(call(1, 0x4000_0200, 3), 3)
      XCTAssertEqual(output, "hi?")
      XCTAssertEqual(call(1, 0x3FFF_FFFF, 2), -14)
      XCTAssertEqual(call(1, 0x4000_0000, UInt64.max), 4096)
      captured = []
      XCTAssertEqual(call(3, 1, 0), 0)
      XCTAssertEqual(output, "rumkv: cell hello status ready\n")
      XCTAssertEqual(call(3, 7, 0), -22)
      XCTAssertEqual(call(2, 0, 0), -22)
      XCTAssertEqual(call(99, 0, 0), -22)
    }
  }

  func testCellTreeListsOnlyWhatTheCellOwns() throws {
    let boardBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
    defer { boardBuffer.deallocate() }
    let fdt = try board(cell: CoreTests.goodCell, buffer: boardBuffer)
    let b = BoardDescription(fdt)
    guard case .success(let t) = try read(CoreTests.goodCell) else { return XCTFail(output) }
    let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    defer { out.deallocate() }
    let size = try CellTree.write(into: out, board: b, cell: t[0]) { (w: inout FDTWriter) throws(FDTError) in
      try w.beginNode("psci")
      try w.propertyString("method", "hvc")
      try w.endNode()
    }
    let tree = try FDT(UnsafeRawBufferPointer(rebasing: out[0..<size]))
    var regions: [(UInt64, UInt64)] = []
    tree.forEachMemoryRegion { regions.append(($0, $1)); return true }
    XCTAssertEqual(regions.count, 1)
    XCTAssertEqual(regions.first?.0, 0x4000_0000)
    XCTAssertEqual(regions.first?.1, 0x400_0000)
    XCTAssertNotNil(tree.stdoutPath)
    XCTAssertNil(tree.node(path: "/rumkv"))
    XCTAssertNotNil(tree.node(path: "/cpus/cpu@0"))
  }

  /// Issue 10: a board UART whose reg Rumkv cannot use (at 0, past the 32-bit device range) is
  /// dropped with the problem named, and a cell that asks for it is refused, not given a console
  /// that hangs or faults.
  func testBoardUARTThatFailsItsCheckIsDroppedAndRefusedToCells() throws {
    for (base, why) in [(UInt64(0), BoardValueProblem.atZero), (0xFFFF_FFFF_FFFF_0000, .outsideDevices)] {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
      defer { buffer.deallocate() }
      let b = BoardDescription(try board(cell: CoreTests.goodCell, buffer: buffer, uart: base))
      XCTAssertNil(b.uart)
      XCTAssertNil(b.uartNode)
      XCTAssertEqual(b.uartProblem, why)
      XCTAssertEqual(String(decoding: b.uartName, as: UTF8.self), "pl011@9000000")
      captured = []
      do throws(Refusal) {
        _ = try NodeConfig.read(b, layout: layout)
        XCTFail("a cell got an unusable UART")
      } catch {
        XCTAssertEqual(error.code, ExitCode.refused)
        XCTAssertTrue(output.contains("/rumkv/cell@0: property 'devices' names uart, but the board has no usable console UART"), output)
      }
    }
  }

  /// Issue 10: BoardTree.copy tells no tree from a refused one, and says why.
  func testBoardTreeCopyTellsAbsentFromRefused() throws {
    let source = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
    defer { source.deallocate() }
    let size = try board(cell: CoreTests.goodCell, buffer: source).totalSize
    let into = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    defer { into.deallocate() }
    func copy() -> BoardTreeProblem? {
      do throws(BoardTreeProblem) {
        _ = try BoardTree.copy(from: UnsafeRawPointer(source.baseAddress!), into: into)
        return nil
      } catch {
        return error
      }
    }
    XCTAssertNil(copy())
    let good = Array(source[0..<size])
    // Over the limit.
    source[4] = 0x7F
    XCTAssertEqual(copy(), .tooLarge(totalSize: 0x7F00_0000 | UInt32(size & 0xFF_FFFF)))
    // A structure block that runs past totalsize.
    source.copyBytes(from: good)
    source[36] = 0x7F
    XCTAssertEqual(copy(), .malformed(.badOffset))
    // A broken token inside.
    source.copyBytes(from: good)
    let structStart = Int(source[11]) | Int(source[10]) << 8
    source[structStart] = 0x55
    XCTAssertEqual(copy(), .malformed(.badToken))
    // No magic: absent.
    source[0] = 0
    XCTAssertEqual(copy(), .absent)
    captured = []
    BoardTree.describe(.tooLarge(totalSize: 5 << 20))
    XCTAssertEqual(output, "is too large: totalsize 5242880 bytes, limit 4194304")
  }
}
