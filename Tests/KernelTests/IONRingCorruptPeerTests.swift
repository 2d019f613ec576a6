// ION ring (DESIGN §3.3): a peer is untrusted. A head that jumps past the ring, a length over the slot
// size, a wrong magic, or a tail ahead of head closes the channel (the view answers .closed from then
// on) and never crashes or reads out of bounds.

import RumpkABI
import RumpkION
import RumpkKernel
import TestSupport
import XCTest

final class IONRingCorruptPeerTests: XCTestCase {
  func testHeadJumpedByCountPlusOneClosesConsumer() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    var p = ring.producer()
    var c = ring.consumer()
    XCTAssertEqual(ionPublish(&p, 1), .published)
    XCTAssertEqual(ionConsume(&c).0, 1)
    ring.head = ring.tail &+ 8 &+ 1
    XCTAssertEqual(ionConsume(&c).1, .closed)
    XCTAssertEqual(c.closeReason, .headOutOfRange)
    ring.head = ring.tail &+ 1  // even a sane head afterwards: closed stays closed
    XCTAssertEqual(ionConsume(&c).1, .closed)
    XCTAssertEqual(c.consume(upTo: 4) { _ in XCTFail() }, .closed)
    var b = [UInt8](repeating: 0, count: 8)
    XCTAssertEqual(b.withUnsafeMutableBytes { c.tryConsume(into: $0) }, .closed)
  }

  func testHeadExactlyCountAheadIsStillValid() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    var c = ring.consumer()
    ring.head = 8  // slots are zero: 8 empty messages
    XCTAssertEqual(c.consume(upTo: 100) { XCTAssertEqual($0.payload.count, 0) }, .consumed(8))
    XCTAssertFalse(c.isClosed)
  }

  func testHeadMovingBackwardsClosesConsumer() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    var p = ring.producer()
    var c = ring.consumer()
    for i in 0..<3 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    XCTAssertEqual(ionConsume(&c).0, 0)  // cached head is now 3
    XCTAssertEqual(ionConsume(&c).0, 1)
    XCTAssertEqual(ionConsume(&c).0, 2)
    ring.head = 1  // behind tail: head - tail wraps huge
    XCTAssertEqual(ionConsume(&c).1, .closed)
    XCTAssertEqual(c.closeReason, .headOutOfRange)
  }

  func testHeadNearWrapJumpClosesConsumer() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8, initialSequence: UInt64.max - 2)
    var c = ring.consumer()
    ring.head = (UInt64.max - 2) &+ 9  // wraps past zero, count + 1 ahead
    XCTAssertEqual(ionConsume(&c).1, .closed)
    XCTAssertEqual(c.closeReason, .headOutOfRange)
  }

  func testLengthOverSlotSizeClosesConsumer() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    var p = ring.producer()
    var c = ring.consumer()
    XCTAssertEqual(ionPublish(&p, 5), .published)
    ring.memory.storeBytes(of: UInt32(9), toByteOffset: ring.slotOffset(0), as: UInt32.self)  // max is 8
    XCTAssertEqual(c.tryConsume { _ in XCTFail("must not deliver") }, .closed)
    XCTAssertEqual(c.closeReason, .lengthOutOfRange)
    XCTAssertEqual(ring.tail, 0, "the corrupt slot was not released")

    let ring2 = IONTestRing(slotSize: 16, slotCount: 8)
    var p2 = ring2.producer()
    var c2 = ring2.consumer()
    XCTAssertEqual(ionPublish(&p2, 5), .published)
    ring2.memory.storeBytes(of: UInt32.max, toByteOffset: ring2.slotOffset(0), as: UInt32.self)
    var b = [UInt8](repeating: 0, count: 1 << 16)
    XCTAssertEqual(b.withUnsafeMutableBytes { c2.tryConsume(into: $0) }, .closed)
    XCTAssertEqual(c2.closeReason, .lengthOutOfRange)
  }

  /// Mid-batch corruption: the good messages before it are delivered and released, then .closed.
  func testLengthOverSlotSizeMidBatch() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    var p = ring.producer()
    var c = ring.consumer()
    for i in 0..<4 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    ring.memory.storeBytes(of: UInt32(1000), toByteOffset: ring.slotOffset(2), as: UInt32.self)
    var got: [UInt64] = []
    XCTAssertEqual(c.consume(upTo: 8) { got.append($0.payload.loadUnaligned(as: UInt64.self)) }, .closed)
    XCTAssertEqual(got, [0, 1])
    XCTAssertEqual(ring.tail, 2)
    XCTAssertEqual(c.closeReason, .lengthOutOfRange)
  }

  func testBadMagicClosesConsumerAndProducer() {
    let ring = IONTestRing(slotSize: 16, slotCount: 2)
    var p = ring.producer()
    var c = ring.consumer()
    XCTAssertEqual(ionPublish(&p, 1), .published)
    ring.memory.storeBytes(of: UInt32(0xDEAD_BEEF), toByteOffset: IONLayout.magicOffset, as: UInt32.self)
    XCTAssertEqual(ionConsume(&c).1, .closed)
    XCTAssertEqual(c.closeReason, .badMagic)
    XCTAssertEqual(ionPublish(&p, 2), .published, "the producer reads the header only when its cache says full")
    XCTAssertEqual(ionPublish(&p, 3), .closed)
    XCTAssertEqual(p.closeReason, .badMagic)
  }

  func testTailAheadOfHeadClosesProducer() {
    let ring = IONTestRing(slotSize: 16, slotCount: 4)
    var p = ring.producer()
    for i in 0..<4 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    ring.tail = 5  // head is 4
    XCTAssertEqual(ionPublish(&p, 4), .closed)
    XCTAssertEqual(p.closeReason, .tailOutOfRange)
    ring.tail = 4
    XCTAssertEqual(ionPublish(&p, 4), .closed, "closed stays closed")
    guard case .closed = p.tryReserve(upTo: 1) else { return XCTFail() }
  }

  func testTailMovingBackwardsClosesProducer() {
    let ring = IONTestRing(slotSize: 16, slotCount: 4, initialSequence: 100)
    var p = ring.producer()
    var c = ring.consumer()
    for i in 0..<4 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    XCTAssertEqual(ionConsume(&c).0, 0)
    XCTAssertEqual(ionPublish(&p, 4), .published)  // producer now caches tail = 101
    XCTAssertEqual(ionConsume(&c).0, 1)
    XCTAssertEqual(ionConsume(&c).0, 2)
    XCTAssertEqual(ionPublish(&p, 5), .published)  // refreshes: caches tail = 103
    XCTAssertEqual(ionPublish(&p, 6), .published)
    ring.tail = 99
    XCTAssertEqual(ionPublish(&p, 7), .closed)
    XCTAssertEqual(p.closeReason, .tailOutOfRange)
  }

  func testTailFarAheadNearWrapClosesProducerViaReserve() {
    let ring = IONTestRing(slotSize: 16, slotCount: 4, initialSequence: UInt64.max)
    var p = ring.producer()
    for i in 0..<4 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    XCTAssertEqual(ring.head, 3, "wrapped through zero")
    ring.tail = 5  // two ahead of head, across the wrap
    switch p.tryReserve(exactly: 1) {
    case .closed: break
    case .reserved(let r): p.abandon(r); XCTFail("reserved")
    default: XCTFail("not closed")
    }
    XCTAssertEqual(p.closeReason, .tailOutOfRange)
  }

  /// A hostile peer scribbling random bytes over header, cursors and slots while the consumer polls:
  /// the consumer either delivers bounded messages or closes, never crashes or reads past the ring.
  func testRandomScribblesNeverCrash() {
    var rng = SplitMix64(seed: 0xC0FFEE)
    var closedCount = 0
    for trial in 0..<300 {
      let ring = IONTestRing(slotSize: 24, slotCount: 8, initialSequence: rng.next())
      var c = ring.consumer()
      var p = ring.producer()
      for step in 0..<200 {
        switch rng.next() % 6 {
        case 0:
          let offset = Int(rng.next() % UInt64(ring.memory.count - 8)) & ~7
          ring.memory.storeBytes(of: rng.next(), toByteOffset: offset, as: UInt64.self)
        case 1: ring.head = ring.tail &+ (rng.next() % 12)
        case 2: _ = ionPublish(&p, UInt64(step))
        default:
          _ = c.consume(upTo: Int(rng.next() % 4)) { m in
            XCTAssertLessThanOrEqual(m.payload.count, 16)
            _ = m.payload.reduce(0, &+)
          }
        }
        if c.isClosed { closedCount += 1; break }
      }
      _ = trial
    }
    XCTAssertGreaterThan(closedCount, 100)
  }
}
