// Kernel tables are arrays in the Bridgehead indexed at run time. Swift emits byte-aligned
// accesses for the fields of such an element when its type has tail padding (size < stride), and on
// the strict-alignment targets the cell is built for (aarch64 -mstrict-align, riscv64) each load or
// store then becomes a run of byte accesses. Host and cell are both LP64, so these layouts are the
// cell's.

import XCTest
@testable import RumpkKernel

final class LayoutTests: XCTestCase {
  func testTableElementsHaveNoTailPadding() {
    func check<T>(_ type: T.Type, line: UInt = #line) {
      XCTAssertEqual(MemoryLayout<T>.size, MemoryLayout<T>.stride, "\(T.self) has tail padding", line: line)
    }
    check(Fiber.self)
    check(Channels.Entry.self)
    check(GrantRecord.self)
    check(EventDescriptor.self)
    check(Partition.self)
    check(OwnedRegion.self)
    check(Region.self)
  }

  func testFiberStateStaysAboutOneKilobyte() {
    XCTAssertLessThanOrEqual(MemoryLayout<Fiber>.stride, 1024)
  }
}
