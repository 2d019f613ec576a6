// FDTWriter: trees built here must read back with FDT, be accepted by dtc, and never overrun the
// buffer; misuse is refused with an error.

import FDT
import Foundation
import XCTest

final class WriterTests: XCTestCase {
  /// Builds the test tree into `raw`; returns the blob size.
  func buildSample(_ raw: UnsafeMutableRawBufferPointer) throws(FDTError) -> Int {
    var w = FDTWriter(buffer: raw)
    w.bootCPUID = 0
    try w.addReservation(address: 0x4800_0000, size: 0x1000)
    try w.beginNode("")
    try w.propertyU32("#address-cells", 2)
    try w.propertyU32("#size-cells", 2)
    try w.propertyString("compatible", "rumkv,cell")
    try w.propertyString("model", bytes: UnsafeRawBufferPointer(start: nil, count: 0))
    try w.beginNode("chosen")
    try w.propertyString("stdout-path", "/pl011@9000000:115200")
    try w.propertyString("bootargs", "quiet rumpk.cell=1")
    try w.propertyU64("linux,initrd-start", 0x4400_0000)
    try w.propertyU32("linux,initrd-end", 0x4410_0000)
    try w.endNode()
    try w.beginNode("memory", unitAddress: 0x4000_0000)
    try w.propertyString("device_type", "memory")
    try w.propertyReg(address: 0x4000_0000, size: 0x2000_0000, addressCells: 2, sizeCells: 2)
    try w.endNode()
    try w.beginNode("pl011", unitAddress: 0x900_0000)
    try w.propertyString("compatible", "arm,pl011")
    try w.propertyReg(address: 0x900_0000, size: 0x1000, addressCells: 2, sizeCells: 2)
    try w.propertyCells("interrupts", count: 3) { i in [0, 1, 4][i] }
    try w.propertyEmpty("dma-coherent")
    try w.endNode()
    try w.beginNode("cpus")
    try w.propertyU32("#address-cells", 1)
    try w.propertyU32("#size-cells", 0)
    try w.beginNode("cpu", unitAddress: 0)
    try w.propertyReg(address: 0, size: 0, addressCells: 1, sizeCells: 0)
    try w.propertyU32Pair("pair", 7, 8)
    try w.endNode()
    try w.endNode()
    try w.beginNode("x", unitAddress: 0xFFFF_FFFF_FFFF_FFFF)
    try w.endNode()
    try w.endNode()
    return try w.finish()
  }

  func testRoundTrip() throws {
    var storage = [UInt8](repeating: 0xAA, count: 4096)
    let size = try storage.withUnsafeMutableBytes { raw in try buildSample(raw) }
    XCTAssertLessThan(size, 1024)
    let blob = Array(storage[0..<size])
    try withFDT(blob) { fdt in
      XCTAssertEqual(fdt.totalSize, size)
      XCTAssertEqual(fdt.header.version, 17)
      XCTAssertEqual(fdt.header.lastCompatibleVersion, 16)
      XCTAssertEqual(fdt.reservationCount, 1)
      XCTAssertEqual(fdt.reservation(0)?.address, 0x4800_0000)
      XCTAssertTrue(fdt.isCompatible(fdt.root, "rumkv,cell"))
      XCTAssertEqual(fdt.string(fdt.root, "model")?.count, 0)
      let uart = try XCTUnwrap(fdt.firstCompatible("arm,pl011"))
      XCTAssertEqual(fdt.name(of: uart).text, "pl011@9000000")
      XCTAssertEqual(fdt.stdoutPath, uart)
      XCTAssertEqual(fdt.stdoutOptions?.text, "115200")
      XCTAssertEqual(fdt.reg(uart, index: 0)?.address, 0x900_0000)
      XCTAssertEqual(fdt.interrupts(uart, index: 2), 4)
      XCTAssertEqual(fdt.property(uart, "dma-coherent")?.count, 0)
      XCTAssertTrue(fdt.bootargsContains("rumpk.cell=1"))
      XCTAssertEqual(fdt.initrd?.start, 0x4400_0000)
      XCTAssertEqual(fdt.initrd?.end, 0x4410_0000)
      let memory = try XCTUnwrap(fdt.node(path: "/memory"))
      XCTAssertEqual(fdt.name(of: memory).text, "memory@40000000")
      XCTAssertEqual(fdt.reg(memory, index: 0)?.size, 0x2000_0000)
      let cpu = try XCTUnwrap(fdt.node(path: "/cpus/cpu@0"))
      XCTAssertEqual(fdt.property(cpu, "reg")?.count, 4)
      XCTAssertEqual(fdt.cell(cpu, "pair", index: 1), 8)
      XCTAssertNotNil(fdt.node(path: "/x@ffffffffffffffff"))

      // "compatible" is used twice and "#address-cells" twice: each stored once.
      let strings = Array(fdt.bytes[Int(fdt.header.stringsOffset)...])
      let text = String(decoding: strings, as: UTF8.self)
      XCTAssertEqual(text.components(separatedBy: "compatible\0").count, 2)
      XCTAssertEqual(text.components(separatedBy: "#address-cells\0").count, 2)
      XCTAssertEqual(strings.count, Int(fdt.header.stringsSize))
    }
    try assertDTCAccepts(blob, contains: ["memory@40000000", "pl011@9000000", "/memreserve/"])
  }

  func testEveryTooSmallBufferGivesNoSpace() throws {
    var storage = [UInt8](repeating: 0, count: 4096)
    let size = try storage.withUnsafeMutableBytes { raw in try buildSample(raw) }
    let reference = Array(storage[0..<size])
    // The strings live at the end of the buffer until finish(), so a buffer must also hold them
    // there: the smallest that works is the blob size.
    for capacity in 0...size + 8 {
      var small = [UInt8](repeating: 0x55, count: capacity + 16)
      let result: Result<Int, FDTError> = small.withUnsafeMutableBytes { raw in
        do throws(FDTError) {
          return .success(try buildSample(UnsafeMutableRawBufferPointer(rebasing: raw[0..<capacity])))
        } catch {
          return .failure(error)
        }
      }
      XCTAssertEqual(Array(small[capacity...]), [UInt8](repeating: 0x55, count: 16), "overrun at \(capacity)")
      switch result {
      case .success(let n):
        XCTAssertGreaterThanOrEqual(capacity, size)
        XCTAssertEqual(Array(small[0..<n]), reference)
      case .failure(let e):
        XCTAssertEqual(e, .noSpace)
        XCTAssertLessThan(capacity, size)
      }
    }
  }

  func testMisuse() {
    var storage = [UInt8](repeating: 0, count: 1024)
    storage.withUnsafeMutableBytes { raw in
      func expect(_ expected: FDTError, _ body: (inout FDTWriter) throws(FDTError) -> Void, line: UInt = #line) {
        var w = FDTWriter(buffer: raw)
        do throws(FDTError) {
          try body(&w)
          XCTFail("no error", line: line)
        } catch {
          XCTAssertEqual(error, expected, line: line)
        }
      }
      expect(.badStructure) { w throws(FDTError) in try w.propertyU32("a", 1) }
      expect(.badStructure) { w throws(FDTError) in try w.endNode() }
      expect(.badStructure) { w throws(FDTError) in _ = try w.finish() }
      expect(.badString) { w throws(FDTError) in try w.beginNode("notroot") }
      expect(.badString) { w throws(FDTError) in
        try w.beginNode("")
        try w.beginNode("")
      }
      expect(.badString) { w throws(FDTError) in
        try w.beginNode("")
        try w.beginNode("a/b")
      }
      expect(.badString) { w throws(FDTError) in
        try w.beginNode("")
        try w.propertyEmpty("")
      }
      expect(.badStructure) { w throws(FDTError) in
        try w.beginNode("")
        _ = try w.finish()
      }
      expect(.badString) { w throws(FDTError) in
        try w.beginNode("")
        try w.propertyEmpty("name\0with-nul")
      }
      expect(.badStructure) { w throws(FDTError) in
        try w.beginNode("")
        try w.beginNode("child")
        try w.endNode()
        try w.propertyU32("late", 1)
      }
      expect(.badStructure) { w throws(FDTError) in
        try w.beginNode("")
        try w.endNode()
        try w.beginNode("")
      }
      expect(.badStructure) { w throws(FDTError) in
        try w.beginNode("")
        try w.addReservation(address: 1, size: 1)
      }
      expect(.badStructure) { w throws(FDTError) in
        try w.beginNode("")
        try w.endNode()
        _ = try w.finish()
        _ = try w.finish()
      }
      expect(.tooDeep) { w throws(FDTError) in
        try w.beginNode("")
        for _ in 0..<FDT.maxDepth { try w.beginNode("n") }
      }
    }
  }

  func testCopyFromQEMU() throws {
    let source = try Blobs.load("qemu-virt-aarch64.dtb")
    var storage = [UInt8](repeating: 0, count: 16384)
    let size = try source.withUnsafeBytes { src in
      let board = try FDT(src)
      return try storage.withUnsafeMutableBytes { raw in
        var w = FDTWriter(buffer: raw)
        try w.beginNode("")
        try w.copyProperty(from: board, node: board.root, name: "#address-cells")
        try w.copyProperty(from: board, node: board.root, name: "#size-cells")
        XCTAssertThrowsError(try w.copyProperty(from: board, node: board.root, name: "no-such")) {
          XCTAssertEqual($0 as? FDTError, .notFound)
        }
        try w.copySubtree(from: board, node: try XCTUnwrap(board.node(path: "/psci")))
        try w.copySubtree(from: board, node: try XCTUnwrap(board.firstCompatible("arm,pl011")))
        try w.copySubtree(from: board, node: try XCTUnwrap(board.firstCompatible("arm,gic-v3")))
        try w.beginNode("chosen")
        try w.copyProperties(from: board, node: try XCTUnwrap(board.chosen))
        try w.endNode()
        try w.endNode()
        return try w.finish()
      }
    }
    let blob = Array(storage[0..<size])
    try source.withUnsafeBytes { src in
      let board = try FDT(src)
      try withFDT(blob) { cell in
        XCTAssertEqual(cell.stringEquals(try XCTUnwrap(cell.node(path: "/psci")), "method", "hvc"), true)
        let uart = try XCTUnwrap(cell.stdoutPath)
        XCTAssertEqual(cell.reg(uart, index: 0)?.address, 0x900_0000)
        let its = try XCTUnwrap(cell.node(path: "/intc/its"))
        XCTAssertEqual(cell.reg(its, index: 0)?.address, 0x808_0000)
        for path: StaticString in ["/psci", "/pl011@9000000", "/intc@8000000", "/intc@8000000/its@8080000", "/chosen"] {
          let a = try XCTUnwrap(board.node(path: path))
          let b = try XCTUnwrap(cell.node(path: path))
          XCTAssertEqual(propertyList(board, a), propertyList(cell, b), "\(path)")
        }
      }
    }
    try assertDTCAccepts(blob, contains: ["intc@8000000", "its@8080000", "arm,pl011"])
  }

  func testCopyWholeTree() throws {
    for name in ["qemu-virt-aarch64.dtb", "qemu-virt-riscv64.dtb", "sample.dtb"] {
      let source = try Blobs.load(name)
      var storage = [UInt8](repeating: 0, count: 65536)
      let size = try source.withUnsafeBytes { src in
        let board = try FDT(src)
        return try storage.withUnsafeMutableBytes { raw in
          var w = FDTWriter(buffer: raw)
          try w.copySubtree(from: board, node: board.root)
          return try w.finish()
        }
      }
      let copy = Array(storage[0..<size])
      try source.withUnsafeBytes { src in
        let board = try FDT(src)
        try withFDT(copy) { cell in
          var a: [String] = []
          var b: [String] = []
          board.forEachNode { n, d in
            a.append("\(d) \(board.name(of: n).text) \(propertyList(board, n))")
            return true
          }
          cell.forEachNode { n, d in
            b.append("\(d) \(cell.name(of: n).text) \(propertyList(cell, n))")
            return true
          }
          XCTAssertEqual(a, b, name)
          XCTAssertGreaterThan(a.count, 10)
        }
      }
      try assertDTCAccepts(copy, contains: ["/dts-v1/;"])
    }
  }

  func propertyList(_ fdt: FDT, _ node: FDTNode) -> [String] {
    var out: [String] = []
    fdt.forEachProperty(of: node) { p in
      out.append("\(p.name.text)=\(Array(p.value))")
      return true
    }
    return out
  }

  /// Runs `dtc -I dtb -O dts` on `blob`; skipped when dtc is not installed.
  func assertDTCAccepts(_ blob: [UInt8], contains: [String], line: UInt = #line) throws {
    let dtc = "/usr/bin/dtc"
    guard FileManager.default.isExecutableFile(atPath: dtc) else { return }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("fdt-\(UUID().uuidString).dtb")
    try Data(blob).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: dtc)
    process.arguments = ["-q", "-I", "dtb", "-O", "dts", file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = Pipe()
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "dtc rejected the blob", line: line)
    for s in contains { XCTAssertTrue(output.contains(s), "dtc output lacks \(s)", line: line) }
  }
}
