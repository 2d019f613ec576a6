// The checks every device-tree value passes before the kernel or Rumkv uses it (FDTBoardValues):
// each hostile class of issue 10 gives its problem, never a trap, and good values pass unchanged.
// The same code runs on metal (Board.swift of each HAL, Rumkv's BoardTree).

import FDT
import XCTest

final class BoardValueTests: XCTestCase {
  let image: Range<UInt64> = 0x8020_0000..<0x8060_0000

  /// The BoardValueProblem `body` throws (nil: none). Closures infer untyped throws: cast back.
  func problem<T>(_ body: () throws -> T) -> BoardValueProblem? {
    do {
      _ = try body()
      return nil
    } catch {
      return error as? BoardValueProblem
    }
  }

  func testMemoryAcceptsRAMThatHoldsTheImage() throws {
    let r = try BoardValues.memory((0x8000_0000, 0x1000_0000), holding: image)
    XCTAssertEqual(r.base, 0x8000_0000)
    XCTAssertEqual(r.end, 0x9000_0000)
    // Huge but not wrapping: accepted (the MMU maps what it can; the plan takes a few MiB).
    XCTAssertEqual(try BoardValues.memory((0x8000_0000, 0x7FFF_FFFF_0000_0000), holding: image).end,
                   0x8000_0000 + 0x7FFF_FFFF_0000_0000)
  }

  func testMemoryClassesOfIssue10() {
    XCTAssertEqual(problem { try BoardValues.memory((0x8000_0000, 0), holding: image) }, .empty)
    XCTAssertEqual(problem { try BoardValues.memory((0x8000_0000, .max), holding: image) }, .wraps)
    XCTAssertEqual(problem { try BoardValues.memory((0, 0x1000_0000), holding: image) }, .missesImage)
    XCTAssertEqual(problem { try BoardValues.memory((0x8000_0000, 0x10_0000), holding: image) }, .missesImage)
    XCTAssertEqual(problem { try BoardValues.memory((0x8040_0000, 0x1000_0000), holding: image) }, .missesImage)
    XCTAssertEqual(problem { try BoardValues.memory(nil, holding: image) }, .undecodable)
  }

  func testDeviceWindows() throws {
    XCTAssertEqual(try BoardValues.device((0x1000_0000, 0x100), registers: 6, below: 0x8000_0000).base, 0x1000_0000)
    XCTAssertEqual(problem { try BoardValues.device((0, 0x100), registers: 6, below: 0x8000_0000) }, .atZero)
    XCTAssertEqual(problem { try BoardValues.device((0xFFFF_FFFF_FFFF_F000, 0x100), registers: 6, below: .max) },
                   nil)  // no wrap: its limit decides
    XCTAssertEqual(problem { try BoardValues.device((0xFFFF_FFFF_FFFF_F000, 0x100), registers: 6, below: 1 << 30) },
                   .outsideDevices)
    XCTAssertEqual(problem { try BoardValues.device((0xFFFF_FFFF_FFFF_FF80, 0x100), registers: 6, below: .max) },
                   .wraps)
    XCTAssertEqual(problem { try BoardValues.device((0x1000_0000, 4), registers: 6, below: .max) }, .tooSmall)
    XCTAssertEqual(problem { try BoardValues.device((0x1000_0000, 0), registers: 6, below: .max) }, .empty)
    // The PLIC at 0xFFFFFFFF (issue 10): its context registers would lie past 4 GiB.
    XCTAssertEqual(problem { try BoardValues.device((0xFFFF_FFFF, 0x60_0000), registers: 0x20_2000, below: 0x8000_0000) },
                   .outsideDevices)
  }

  func testUARTRegisterSpacing() throws {
    XCTAssertEqual(try BoardValues.regShift(nil), 0)
    XCTAssertEqual(try BoardValues.regShift(2), 2)
    XCTAssertEqual(problem { try BoardValues.regShift(7) }, .outOfRange)
    XCTAssertEqual(problem { try BoardValues.regShift(.max) }, .outOfRange)
    XCTAssertEqual(try BoardValues.regIOWidth(nil), 1)
    XCTAssertEqual(try BoardValues.regIOWidth(4), 4)
    XCTAssertEqual(problem { try BoardValues.regIOWidth(2) }, .outOfRange)
  }

  func testRangeContainsWithoutWrapping() throws {
    let ram = try XCTUnwrap(BoardRange(base: 0x8000_0000, size: 0x1000_0000))
    XCTAssertTrue(ram.contains(0x8FE0_0000, count: 0x20_0000))
    XCTAssertFalse(ram.contains(0x8FE0_0000, count: 0x20_0001))
    XCTAssertFalse(ram.contains(0x9000_0000, count: 0x1000))
    XCTAssertFalse(ram.contains(.max, count: 2))
    XCTAssertNil(BoardRange(base: 1, size: .max))
    XCTAssertNil(BoardRange(base: 1, size: 0))
  }

  /// A tree is told apart from no tree by its magic, and its size from the header before anything
  /// else is read: QEMU's dump passed back with -dtb (2 × (1 MiB + 10000) bytes) is under the limit.
  func testClaimedTreeSize() {
    var head: [UInt8] = [0xD0, 0x0D, 0xFE, 0xED, 0x00, 0x20, 0x4E, 0x20]
    head.withUnsafeBytes { XCTAssertEqual(BoardValues.claimedTreeSize(at: $0.baseAddress!), 0x0020_4E20) }
    XCTAssertLessThanOrEqual(2 * (1 << 20 + 10000), BoardValues.treeSizeLimit)
    head[0] = 0
    head.withUnsafeBytes { XCTAssertNil(BoardValues.claimedTreeSize(at: $0.baseAddress!)) }
  }

  /// reg with #address-cells 0 in the parent decodes to address 0; without reg, or with a reg
  /// shorter than one entry, the walk tells missing from undecodable.
  func testRegProblemsFromAWalk() throws {
    var blob = [UInt8](repeating: 0, count: 4096)
    let size = try blob.withUnsafeMutableBytes { (raw) throws(FDTError) -> Int in
      var w = FDTWriter(buffer: raw)
      try w.beginNode("")
      try w.propertyU32("#address-cells", 0)
      try w.propertyU32("#size-cells", 1)
      try w.beginNode("memory")
      try w.propertyU32("reg", 0x1000_0000)
      try w.endNode()
      try w.beginNode("short")
      try w.propertyEmpty("reg")
      try w.endNode()
      try w.beginNode("none")
      try w.endNode()
      try w.endNode()
      return try w.finish()
    }
    blob = Array(blob[0..<size])
    try blob.withUnsafeBytes { raw in
      var seen: [String: (reg: (address: UInt64, size: UInt64)?, problem: BoardValueProblem?)] = [:]
      _ = try FDT(raw) { fdt, n in
        seen[String(decoding: n.name, as: UTF8.self)] = (fdt.reg(n, index: 0), fdt.regProblem(n, index: 0))
        return true
      }
      XCTAssertEqual(seen["memory"]?.reg?.address, 0)
      XCTAssertEqual(seen["memory"]?.reg?.size, 0x1000_0000)
      XCTAssertEqual(problem { try BoardValues.memory(seen["memory"]?.reg, holding: image) }, .missesImage)
      XCTAssertEqual(seen["short"]?.problem, .undecodable)
      XCTAssertEqual(seen["none"]?.problem, .missing)
    }
  }
}
