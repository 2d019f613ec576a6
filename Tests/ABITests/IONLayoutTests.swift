// The frozen ION ring layout (DESIGN §3.3): every header offset and size and the slot layout, checked
// against the numbers in the design, not against the code's own constants.

import RumpkABI
import XCTest

final class IONLayoutTests: XCTestCase {
  func testMagicIsION1LittleEndian() {
    XCTAssertEqual(IONLayout.magic, 0x314E_4F49)
    withUnsafeBytes(of: IONLayout.magic.littleEndian) { XCTAssertEqual(Array($0), Array("ION1".utf8)) }
  }

  func testHeaderFieldOffsetsAndSizes() {
    XCTAssertEqual(IONLayout.magicOffset, 0x00)
    XCTAssertEqual(IONLayout.slotSizeOffset, 0x04)
    XCTAssertEqual(IONLayout.slotCountOffset, 0x08)
    XCTAssertEqual(IONLayout.flagsOffset, 0x0C)
    XCTAssertEqual(IONLayout.channelOffset, 0x10)
    XCTAssertEqual(IONLayout.headOffset, 0x18)
    XCTAssertEqual(IONLayout.reserved0Offset, 0x20)
    XCTAssertEqual(IONLayout.reserved0Size, 32)
    XCTAssertEqual(IONLayout.tailOffset, 0x40)
    XCTAssertEqual(IONLayout.reserved1Offset, 0x48)
    XCTAssertEqual(IONLayout.reserved1Size, 56)
    XCTAssertEqual(IONLayout.slotsOffset, 0x80)
    XCTAssertEqual(IONLayout.headerSize, 128)
  }

  /// The fields tile the header with no gap or overlap: 4+4+4+4+8+8+32 up to the tail line, 8+56 after.
  func testHeaderFieldsTileTheHeader() {
    XCTAssertEqual(IONLayout.magicOffset + 4, IONLayout.slotSizeOffset)
    XCTAssertEqual(IONLayout.slotSizeOffset + 4, IONLayout.slotCountOffset)
    XCTAssertEqual(IONLayout.slotCountOffset + 4, IONLayout.flagsOffset)
    XCTAssertEqual(IONLayout.flagsOffset + 4, IONLayout.channelOffset)
    XCTAssertEqual(IONLayout.channelOffset + 8, IONLayout.headOffset)
    XCTAssertEqual(IONLayout.headOffset + 8, IONLayout.reserved0Offset)
    XCTAssertEqual(IONLayout.reserved0Offset + IONLayout.reserved0Size, IONLayout.tailOffset)
    XCTAssertEqual(IONLayout.tailOffset + 8, IONLayout.reserved1Offset)
    XCTAssertEqual(IONLayout.reserved1Offset + IONLayout.reserved1Size, IONLayout.slotsOffset)
  }

  /// Head and tail live on different 64-byte cache lines; tail starts its own line.
  func testCursorsOnSeparateCacheLines() {
    XCTAssertEqual(IONLayout.cacheLineSize, 64)
    XCTAssertNotEqual(IONLayout.headOffset / 64, IONLayout.tailOffset / 64)
    XCTAssertEqual(IONLayout.tailOffset % 64, 0)
    XCTAssertEqual(IONLayout.slotsOffset % 64, 0)
    XCTAssertEqual(IONLayout.headOffset % 8, 0)
  }

  func testSlotLayout() {
    XCTAssertEqual(IONLayout.slotLengthOffset, 0)
    XCTAssertEqual(IONLayout.slotTypeOffset, 4)
    XCTAssertEqual(IONLayout.slotPayloadOffset, 8)
    XCTAssertEqual(IONLayout.slotHeaderSize, 8)
    XCTAssertEqual(IONLayout.minSlotSize, 16)
    XCTAssertEqual(IONLayout.slotSizeAlignment, 8)
    XCTAssertEqual(IONLayout.baseAlignment, 8)
    XCTAssertEqual(IONLayout.maxPayload(slotSize: 16), 8)
    XCTAssertEqual(IONLayout.maxPayload(slotSize: 72), 64)
  }

  func testByteCountAndGeometryRules() {
    XCTAssertEqual(IONLayout.byteCount(slotSize: 16, slotCount: 1), 0x80 + 16)
    XCTAssertEqual(IONLayout.byteCount(slotSize: 64, slotCount: 256), 0x80 + 64 * 256)
    XCTAssertNil(IONLayout.byteCount(slotSize: Int.max, slotCount: 2))
    XCTAssertTrue(IONLayout.isValidGeometry(slotSize: 16, slotCount: 1))
    XCTAssertTrue(IONLayout.isValidGeometry(slotSize: 24, slotCount: 1024))
    XCTAssertFalse(IONLayout.isValidGeometry(slotSize: 8, slotCount: 4), "slot size below 16")
    XCTAssertFalse(IONLayout.isValidGeometry(slotSize: 20, slotCount: 4), "slot size not a multiple of 8")
    XCTAssertFalse(IONLayout.isValidGeometry(slotSize: 16, slotCount: 0))
    XCTAssertFalse(IONLayout.isValidGeometry(slotSize: 16, slotCount: 3), "count not a power of two")
    XCTAssertFalse(IONLayout.isValidGeometry(slotSize: 16, slotCount: 1 << 32), "count does not fit u32")
  }
}
