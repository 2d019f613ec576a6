// The one-walk API boot-time discovery uses (FDT.walk, FDTWalkNode, FDTPathMatch) and the helpers
// around it: every answer must equal what the per-lookup accessors give, on the hand-written tree,
// on QEMU's trees and on hostile blobs.

@testable import FDT
import TestSupport
import XCTest

final class WalkTests: XCTestCase {
  /// Everything the walk reports, checked node by node against parent(of:), depth(of:),
  /// regCells, name(of:) and reg(_:index:).
  func checkWalkAgreesWithLookups(_ fdt: FDT, file: StaticString = #filePath, line: UInt = #line) -> Int {
    var count = 0
    fdt.walk { n in
      count += 1
      XCTAssertEqual(fdt.parent(of: n.node), n.parent, file: file, line: line)
      XCTAssertEqual(fdt.depth(of: n.node), n.depth, file: file, line: line)
      XCTAssertEqual(n.name.text, fdt.name(of: n.node).text, file: file, line: line)
      let cells = fdt.regCells(n.node)
      XCTAssertEqual(n.addressCells, min(cells.addressCells, 255), file: file, line: line)
      XCTAssertEqual(n.sizeCells, min(cells.sizeCells, 255), file: file, line: line)
      for i in 0..<3 {
        let a = fdt.reg(n, index: i), b = fdt.reg(n.node, index: i)
        XCTAssertEqual(a?.address, b?.address, file: file, line: line)
        XCTAssertEqual(a?.size, b?.size, file: file, line: line)
      }
      XCTAssertEqual(fdt.property(n, "compatible").map { Array($0) }, fdt.property(n.node, "compatible").map { Array($0) },
                     file: file, line: line)
      XCTAssertEqual(n.compatible.map { Array($0) }, fdt.property(n.node, "compatible").map { Array($0) },
                     file: file, line: line)
      XCTAssertEqual(fdt.isCompatible(n, "ns16550a"), fdt.isCompatible(n.node, "ns16550a"), file: file, line: line)
      return true
    }
    var plain = 0
    fdt.forEachNode { _, _ in
      plain += 1
      return true
    }
    XCTAssertEqual(count, plain, "the walk visits every node once", file: file, line: line)
    return count
  }

  func testWalkOnTheSampleTree() throws {
    try withFDT(Blobs.load("sample.dtb")) { fdt in
      XCTAssertEqual(checkWalkAgreesWithLookups(fdt), 15)
      var seen: [String] = []
      fdt.walk { n in
        seen.append("\(n.depth):\(n.name.text):\(n.addressCells),\(n.sizeCells)")
        return n.name.text != "uart@1000"  // stops when the body says so
      }
      XCTAssertEqual(seen, ["0::2,1", "1:aliases:2,2", "1:chosen:2,2", "1:memory@80000000:2,2", "1:cpus:2,2",
                            "2:cpu@0:1,0", "2:cpu@1:1,0", "1:soc:2,2", "2:interrupt-controller@3000:1,1",
                            "2:uart@1000:1,1"])
    }
  }

  func testWalkOnQEMUTrees() throws {
    for blob in ["qemu-virt-aarch64.dtb", "qemu-virt-riscv64.dtb"] {
      try withFDT(Blobs.load(blob)) { fdt in XCTAssertGreaterThan(checkWalkAgreesWithLookups(fdt), 10) }
    }
  }

  func testWalkFindsWhatBoardDiscoveryNeeds() throws {
    try withFDT(Blobs.load("qemu-virt-aarch64.dtb")) { fdt in
      var virtio: [UInt64] = []
      var pl011: UInt64? = nil
      var gic: [UInt64] = []
      fdt.walk { n in
        if fdt.isCompatible(n, "virtio,mmio"), let r = fdt.reg(n, index: 0) { virtio.append(r.address) }
        if let c = fdt.property(n, "compatible") {
          if FDT.listContains(c, "arm,pl011") { pl011 = fdt.reg(n, index: 0)?.address }
          if FDT.listContains(c, "arm,gic-v3") { gic = [0, 1].compactMap { fdt.reg(n, index: $0)?.address } }
        }
        return true
      }
      XCTAssertEqual(virtio.count, 32)
      XCTAssertEqual(virtio.sorted().first, 0x0A00_0000)
      XCTAssertEqual(pl011, 0x0900_0000)
      XCTAssertEqual(gic, [0x0800_0000, 0x080A_0000])
    }
  }

  func testCellCountsFirstPropertyWinsAndOddSizesFallBack() throws {
    var b = RawBlob()
    b.begin("")
    b.prop("#address-cells", [0, 0, 0, 1])
    b.prop("#address-cells", [0, 0, 0, 2])   // a duplicate: the first one counts, as u32() reads it
    b.prop("#size-cells", [0, 0, 0, 0, 0])   // not 4 bytes: the default (1)
    b.begin("a@10")
    b.prop("reg", [0, 0, 0, 0x10, 0, 0, 0, 0x20])
    b.prop("reg", [0, 0, 0, 0x30, 0, 0, 0, 0x40])  // a duplicate: the first counts, as property() finds it
    b.prop("compatible", Array("first".utf8) + [0])
    b.prop("compatible", Array("second".utf8) + [0])
    b.prop("#address-cells", [0xFF, 0xFF, 0xFF, 0xFF])  // clamped to 255 in the walk: reg refuses it
    b.begin("b")
    b.prop("reg", [0, 0, 0, 1])
    b.end()
    b.end()
    b.end()
    b.finish()
    try withFDT(b.build()) { fdt in
      _ = checkWalkAgreesWithLookups(fdt)
      var got: [String] = []
      fdt.walk { n in
        got.append("\(n.name.text) \(n.addressCells) \(n.sizeCells) \(fdt.reg(n, index: 0).map { "\($0.address)/\($0.size)" } ?? "-")")
        return true
      }
      XCTAssertEqual(got, [" 2 1 -", "a@10 1 1 16/32", "b 255 1 -"])
    }
  }

  func testPathMatchResolvesLikeNodePath() throws {
    try withFDT(Blobs.load("sample.dtb")) { fdt in
      for path in ["/", "/soc/uart@1000", "/soc/uart@2000", "/soc/uart", "//soc///uart@2000/", "/soc/uart@3000",
                   "/soc/uar", "/nope", "/rumkv/cell", "/rumkv/cell@1", "/cpus/cpu@1", "/memory", "/soc"] {
        let bytes = Array(path.utf8)
        let found: FDTNode? = bytes.withUnsafeBytes { raw in
          var match = FDTPathMatch(raw)!
          var hits = 0
          fdt.walk { n in
            if match.visit(n) { hits += 1 }
            return true
          }
          XCTAssertLessThanOrEqual(hits, 1, path)
          return match.node
        }
        let expected: FDTNode? = bytes.withUnsafeBytes { fdt.node(path: $0) }
        XCTAssertEqual(found, expected, path)
      }
      let alias = Array("serial0".utf8)
      alias.withUnsafeBytes { XCTAssertNil(FDTPathMatch($0), "aliases are node(path:)'s job") }
      [UInt8]().withUnsafeBytes { XCTAssertNil(FDTPathMatch($0)) }
    }
  }

  func testChosenAliasesAndStdoutFromTheValidationWalk() throws {
    try withFDT(Blobs.load("sample.dtb")) { fdt in
      let chosen = try XCTUnwrap(fdt.chosen)
      XCTAssertEqual(fdt.name(of: chosen).text, "chosen")
      XCTAssertEqual(fdt.stdoutPathValue(chosen: chosen)?.text, "serial0")
      XCTAssertEqual(fdt.stdoutPath(chosen: chosen), fdt.node(path: "/soc/uart@1000"))
      XCTAssertTrue(fdt.bootargsContains("quiet", chosen: chosen))
      XCTAssertFalse(fdt.bootargsContains("rumpk", chosen: chosen))
    }
    // No /chosen; a node named "chosen" deeper down is not it.
    var b = RawBlob()
    b.begin("")
    b.begin("soc")
    b.begin("chosen")
    b.prop("bootargs", Array("x".utf8) + [0])
    b.end()
    b.end()
    b.begin("chosen@1")
    b.prop("bootargs", Array("y".utf8) + [0])
    b.end()
    b.end()
    b.finish()
    try withFDT(b.build()) { fdt in
      XCTAssertEqual(fdt.chosen, fdt.node(path: "/chosen"))
      XCTAssertEqual(fdt.chosen.map { fdt.name(of: $0).text }, "chosen@1")
      XCTAssertTrue(fdt.bootargsContains("y"))
      XCTAssertNil(fdt.node(path: "serial0"), "no /aliases")
    }
  }

  func testListContainsAndNameMatches() {
    let list: [UInt8] = Array("arm,pl011\0arm,primecell\0trailing".utf8)
    list.withUnsafeBytes { raw in
      XCTAssertTrue(FDT.listContains(raw, "arm,pl011"))
      XCTAssertTrue(FDT.listContains(raw, "arm,primecell"))
      XCTAssertFalse(FDT.listContains(raw, "trailing"), "bytes without a NUL are not a string")
      XCTAssertFalse(FDT.listContains(raw, "arm"))
      XCTAssertFalse(FDT.listContains(raw, "arm,pl0111"))
      XCTAssertFalse(FDT.listContains(raw, ""))
    }
    Array("a\0\0b\0".utf8).withUnsafeBytes { XCTAssertTrue(FDT.listContains($0, "")) }
    [UInt8]().withUnsafeBytes { XCTAssertFalse(FDT.listContains($0, "x")) }
    Array("uart@1000".utf8).withUnsafeBytes { name in
      XCTAssertTrue(FDT.nameMatches(name, component: "uart"))
      XCTAssertTrue(FDT.nameMatches(name, component: "uart@1000"))
      XCTAssertFalse(FDT.nameMatches(name, component: "uart@100"))
      XCTAssertFalse(FDT.nameMatches(name, component: "uar"))
    }
  }

  /// The word-at-a-time NUL search against a plain byte loop, at every alignment, offset and limit.
  func testIndexOfNULMatchesAByteLoop() {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<300 {
      let count = Int(rng.next() % 40)
      var bytes = (0..<(count + 8)).map { _ in UInt8(truncatingIfNeeded: rng.next() % 4 == 0 ? 0 : rng.next() | 1) }
      if rng.next() % 3 == 0 { bytes = bytes.map { $0 == 0 ? 1 : $0 } }
      let shift = Int(rng.next() % 8)
      bytes.withUnsafeBytes { all in
        let b = UnsafeRawBufferPointer(rebasing: all[shift..<(shift + count)])
        for from in -1...(count + 1) {
          for limit in [0, 1, 3, 4, 5, 9, 256, Int.max] {
            var expected: Int? = nil
            if from >= 0 && from <= count {
              var i = from
              while i < count && i - from < limit {
                if b[i] == 0 { expected = i; break }
                i += 1
              }
            }
            XCTAssertEqual(indexOfNUL(b, from: from, limit: limit), expected, "count \(count) from \(from) limit \(limit)")
          }
        }
      }
    }
  }

  func testStringsCheckIsExactWhereItAnswers() {
    var rng = SplitMix64(seed: 11)
    for _ in 0..<200 {
      let n = Int(rng.next() % 600)
      let zeroEvery = UInt64(1 + rng.next() % 300)
      let strings = (0..<n).map { _ in rng.next() % zeroEvery == 0 ? UInt8(0) : UInt8(0x61) }
      strings.withUnsafeBytes { raw in
        let check = StringsCheck(raw)
        for offset in -1...(n + 1) where check.valid(offset) {
          XCTAssertNotNil(indexOfNUL(raw, from: offset, limit: FDT.maxPropertyNameLength + 1), "offset \(offset)")
        }
      }
    }
  }
}
