// The virtqueue bookkeeping the drivers trust instead of the device (rumpk/Drivers/virtio/
// VirtqueueBook.swift), on the host: descriptor accounting, and every way a misbehaving device is
// caught — used index jumps, ids out of range or not in flight, lengths over the buffer.

import VirtioCore
import XCTest

final class VirtqueueBookTests: XCTestCase {
  func testChainsTakeAndReturnDescriptors() {
    var b = VirtqueueBook(size: 8)
    XCTAssertEqual(b.freeCount, 8)
    let c1 = b.allocate(3, writableBytes: 513, token: 11)!
    let c2 = b.allocate(2, writableBytes: 0, token: 22)!
    XCTAssertEqual(c1.count, 3)
    XCTAssertEqual(b.freeCount, 3)
    XCTAssertEqual(b.inFlight, 2)
    XCTAssertNil(b.allocate(4, writableBytes: 0, token: 0), "only 3 free")
    var all = Set<UInt16>()
    for i in 0..<3 { all.insert(c1[i]) }
    for i in 0..<2 { all.insert(c2[i]) }
    XCTAssertEqual(all.count, 5, "no descriptor handed out twice")

    XCTAssertEqual(b.pending(usedIndex: 1), 1)
    XCTAssertEqual(b.check(id: UInt32(c2.head), length: 0), 22)
    b.release(id: UInt32(c2.head))
    XCTAssertEqual(b.check(id: UInt32(c1.head), length: 513), 11)
    b.release(id: UInt32(c1.head))
    XCTAssertEqual(b.freeCount, 8)
    XCTAssertEqual(b.inFlight, 0)
    XCTAssertEqual(b.lastUsed, 2)
    XCTAssertNil(b.fault)
    // Everything can be taken again, in any chain shape.
    for _ in 0..<4 { XCTAssertNotNil(b.allocate(2, writableBytes: 0, token: 0)) }
    XCTAssertEqual(b.freeCount, 0)
  }

  func testUsedIndexWrapsAround() {
    var b = VirtqueueBook(size: 4)
    for round in 0..<70_000 {
      let c = b.allocate(1, writableBytes: 16, token: UInt64(round))!
      XCTAssertEqual(b.pending(usedIndex: b.lastUsed &+ 1), 1)
      XCTAssertEqual(b.check(id: UInt32(c.head), length: 16), UInt64(round))
      b.release(id: UInt32(c.head))
    }
    XCTAssertNil(b.fault)
    XCTAssertEqual(b.lastUsed, UInt16(truncatingIfNeeded: 70_000))
  }

  func testUsedIndexJumpingPastTheQueueSizeIsAFault() {
    var b = VirtqueueBook(size: 8)
    _ = b.allocate(1, writableBytes: 0, token: 0)
    XCTAssertEqual(b.pending(usedIndex: 8), 8, "a full queue's worth is plausible")
    XCTAssertNil(b.pending(usedIndex: 9))
    XCTAssertEqual(b.fault, .usedIndexJump)
    XCTAssertNil(b.allocate(1, writableBytes: 0, token: 0), "a dead queue hands out nothing")
  }

  func testUsedIndexGoingBackwardsIsAFault() {
    var b = VirtqueueBook(size: 8)
    XCTAssertNil(b.pending(usedIndex: 0xFFFF), "backwards by one reads as a jump of 65535")
    XCTAssertEqual(b.fault, .usedIndexJump)
  }

  func testUsedIDOutOfRangeIsAFault() {
    var b = VirtqueueBook(size: 8)
    _ = b.allocate(1, writableBytes: 0, token: 0)
    XCTAssertNil(b.check(id: 8, length: 0))
    XCTAssertEqual(b.fault, .idOutOfRange)
  }

  func testUsedIDNotInFlightIsAFault() {
    var b = VirtqueueBook(size: 8)
    let c = b.allocate(2, writableBytes: 0, token: 0)!
    XCTAssertNil(b.check(id: UInt32(c[1]), length: 0), "the second descriptor of a chain is not a head")
    XCTAssertEqual(b.fault, .idNotInFlight)

    var d = VirtqueueBook(size: 8)
    let h = d.allocate(1, writableBytes: 0, token: 0)!.head
    XCTAssertNotNil(d.check(id: UInt32(h), length: 0))
    d.release(id: UInt32(h))
    XCTAssertNil(d.check(id: UInt32(h), length: 0), "the same id twice")
    XCTAssertEqual(d.fault, .idNotInFlight)
  }

  func testLengthLargerThanTheBufferIsAFault() {
    var b = VirtqueueBook(size: 8)
    let c = b.allocate(3, writableBytes: 4097, token: 0)!
    XCTAssertNotNil(b.check(id: UInt32(c.head), length: 4097))
    XCTAssertNil(b.check(id: UInt32(c.head), length: 4098))
    XCTAssertEqual(b.fault, .lengthTooLarge)
  }

  func testAFaultIsStickyAndInFlightTokensCanBeFailed() {
    var b = VirtqueueBook(size: 8)
    _ = b.allocate(1, writableBytes: 0, token: 5)
    _ = b.allocate(1, writableBytes: 0, token: 6)
    b.fail(.idOutOfRange)
    XCTAssertNil(b.pending(usedIndex: 1))
    XCTAssertNil(b.check(id: 0, length: 0))
    XCTAssertEqual(b.fault, .idOutOfRange)
    var tokens: [UInt64] = []
    b.forEachInFlight { tokens.append($0) }
    XCTAssertEqual(tokens.sorted(), [5, 6])
  }

  func testSizesAreClampedAndChainsBounded() {
    var big = VirtqueueBook(size: 1024)
    XCTAssertEqual(big.size, VirtqueueBook.maxSize)
    XCTAssertNil(big.allocate(VirtqueueBook.maxChain + 1, writableBytes: 0, token: 0))
    XCTAssertNil(big.allocate(0, writableBytes: 0, token: 0))
    XCTAssertEqual(VirtqueueBook(size: 0).size, 1)
  }
}
