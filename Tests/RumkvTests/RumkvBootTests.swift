// Rumkv under real QEMU at EL2: cells that run and halt, a cell whose NPL writes outside it, and node
// configurations and bundles that Rumkv must refuse with a message naming the problem.

import Foundation
import QEMUHarness
import XCTest

final class RumkvBootTests: XCTestCase {
  func bootOne(_ guest: String, cellName: String? = nil, node: String? = nil, corrupt: Bool = false,
               icount: Bool = false) throws -> CellOutput {
    let image = try RumkvNode.guestImage(guest)
    let name = cellName ?? guest
    let dtb = try RumkvNode.nodeDTB(node ?? RumkvNode.rumkvNode(name: "\"\(name)\"", image: "\"\(guest)\""))
    let bundle = try RumkvNode.bundle([(guest, image)], corrupt: corrupt)
    let r = try RumkvNode.boot(dtb: dtb, bundle: bundle, icount: icount)
    XCTAssertFalse(r.timedOut, "QEMU timed out:\n\(r.stdout)\(r.stderr)")
    return r
  }

  func testHelloRunsAsACellAtEL1AndHaltsWithZero() throws {
    let r = try bootOne("hello")
    XCTAssertTrue(r.has("rumkv: aarch64 EL2"), r.stdout)
    XCTAssertTrue(r.has("rumkv: cell hello window 0x40000000-0x44000000"), r.stdout)
    XCTAssertTrue(r.has("rumpk: aarch64 EL1 (entered at EL1)"), r.stdout)
    XCTAssertTrue(r.has("rumpk: SysTable at 0x50000000 magic 0x4B504D52 size 240 abi 1"), r.stdout)
    XCTAssertTrue(r.has("hello: Hello from an NPL, through the SysTable"), r.stdout)
    XCTAssertTrue(r.has("rumkv: cell hello halted with code 0"), r.stdout)
    XCTAssertEqual(r.haltCode, 0, r.stdout + r.stderr)
    XCTAssertEqual(r.offCode, 0, r.stdout + r.stderr)
  }

  func testCellHaltCodeTravelsInTheCellsRecord() throws {
    let r = try bootOne("exitcode")
    XCTAssertTrue(r.has("exitcode: halting with code 7"), r.stdout)
    XCTAssertTrue(r.has("rumkv: cell exitcode halted with code 7"), r.stdout)
    XCTAssertEqual(r.haltCode, 7, r.stdout + r.stderr)
    XCTAssertEqual(r.offCode, 0, "the node's own code says only that its cells ended")
  }

  /// The NPL runs at EL0 (docs/decisions/K6-el0-npls.md), so its store into Rumkv's memory stops
  /// at the cell's own stage 1 before stage 2 sees it: the cell ends the fiber, and with no fiber
  /// left it halts with 0. Stage 2 itself is tested against a hostile EL1 cell in HostileCellTests.
  func testEL0StoreIntoRumkvStopsAtTheCellsStage1() throws {
    let r = try bootOne("escape")
    XCTAssertTrue(r.has("escape: writing outside my window"), r.stdout)
    XCTAssertTrue(r.has("rumpk: fiber 0 fault at 0x70000000 (ESR 0x92"), r.stdout)
    XCTAssertFalse(r.has("escape: still alive"), r.stdout)
    XCTAssertFalse(r.has("stage-2 fault"), r.stdout)
    XCTAssertTrue(r.has("rumkv: cell escape halted with code 0"), r.stdout)
    XCTAssertEqual(r.haltCode, 0, r.stdout + r.stderr)
    XCTAssertEqual(r.offCode, 0, r.stdout + r.stderr)
  }

  func testMissingRumkvNodeIsRefused() throws {
    let r = try bootOne("hello", node: "")
    XCTAssertTrue(r.has("rumkv: /rumkv: node missing"), r.stdout)
    XCTAssertFalse(r.has("rumpk:"), r.stdout)
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
  }

  func testMissingPropertyIsNamed() throws {
    let r = try bootOne("hello", node: RumkvNode.rumkvNode(cpus: nil))
    XCTAssertTrue(r.has("rumkv: /rumkv/cell@0: property 'cpus' missing"), r.stdout)
    XCTAssertEqual(r.record("refused")?.string("detail"), "/rumkv/cell@0: property 'cpus' missing")
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
  }

  func testMemoryWithThreeCellsIsMalformed() throws {
    let r = try bootOne("hello", node: RumkvNode.rumkvNode(memory: "<0x0 0x40000000 0x04000000>"))
    XCTAssertTrue(r.has("rumkv: /rumkv/cell@0: property 'memory' malformed: expected 4 cells"), r.stdout)
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
  }

  func testWindowOutsideRAMIsRefused() throws {
    let r = try bootOne("hello", node: RumkvNode.rumkvNode(memory: "<0x0 0x7e000000 0x0 0x04000000>"))
    XCTAssertTrue(r.has("rumkv: /rumkv/cell@0: property 'memory' window 0x7e000000-0x82000000 lies outside"), r.stdout)
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
  }

  func testWindowOverRumkvAndUnalignedWindowsAreRefused() throws {
    var r = try bootOne("hello", node: RumkvNode.rumkvNode(memory: "<0x0 0x6fe00000 0x0 0x00400000>"))
    XCTAssertTrue(r.has("property 'memory' window 0x6fe00000-0x70200000 overlaps Rumkv itself"), r.stdout)
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
    r = try bootOne("hello", node: RumkvNode.rumkvNode(memory: "<0x0 0x40100000 0x0 0x04000000>"))
    XCTAssertTrue(r.has("property 'memory' window 0x40100000-0x44100000 is not 2 MiB aligned"), r.stdout)
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
  }

  func testCorruptImageIsRefusedByChecksum() throws {
    let r = try bootOne("hello", corrupt: true)
    XCTAssertTrue(r.has("rumkv: /rumkv/cell@0: property 'image' 'hello' refused: imageChecksum"), r.stdout)
    XCTAssertFalse(r.has("rumpk:"), r.stdout)
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
  }

  func testImageMissingFromTheBundleIsRefused() throws {
    let r = try bootOne("hello", node: RumkvNode.rumkvNode(image: "\"nosuch\""))
    XCTAssertTrue(r.has("rumkv: /rumkv/cell@0: property 'image' 'nosuch' refused: notFound"), r.stdout)
    XCTAssertEqual(r.offCode, 2, r.stdout + r.stderr)
    XCTAssertNotNil(r.record("refused"), r.stdout)
  }

  func testBootToCellEntryIsDeterministicUnderIcount() throws {
    let a = try bootOne("hello", icount: true)
    let b = try bootOne("hello", icount: true)
    let line = { (r: CellOutput) in r.lines.first { $0.contains("rumkv: boot to cell entry:") } }
    XCTAssertNotNil(line(a), a.stdout)
    XCTAssertEqual(line(a), line(b))
    print("measured under -icount shift=0: \(line(a) ?? "none")")
    XCTAssertEqual(a.haltCode, 0, a.stdout)
  }
}
