// ION ring (DESIGN §3.3), single-threaded behaviour: format, attach, empty and full, backpressure,
// wraparound (many times round the ring, and across the u64 wrap), batching and reservations.

import RumpkABI
import RumpkION
import RumpkKernel
import XCTest

/// Cache-line-aligned memory for one ring, freed on deinit. Shared by the IONRing*Tests files.
final class IONTestRing {
  let memory: UnsafeMutableRawBufferPointer
  let slotSize: Int
  let slotCount: Int

  init(slotSize: Int, slotCount: Int, channel: UInt64 = 7, initialSequence: UInt64 = 0, extra: Int = 0) {
    self.slotSize = slotSize
    self.slotCount = slotCount
    let bytes = IONRing.byteCount(slotSize: slotSize, slotCount: slotCount)! + extra
    memory = .allocate(byteCount: bytes, alignment: 64)
    memory.initializeMemory(as: UInt8.self, repeating: 0xEE)
    try! IONRing.format(at: memory, slotSize: slotSize, slotCount: slotCount, channel: channel,
                        initialSequence: initialSequence)
  }

  deinit { memory.deallocate() }

  func producer() -> IONProducer { try! IONProducer(attaching: memory) }
  func consumer() -> IONConsumer { try! IONConsumer(attaching: memory) }

  var head: UInt64 {
    get { memory.load(fromByteOffset: IONLayout.headOffset, as: UInt64.self) }
    set { memory.storeBytes(of: newValue, toByteOffset: IONLayout.headOffset, as: UInt64.self) }
  }
  var tail: UInt64 {
    get { memory.load(fromByteOffset: IONLayout.tailOffset, as: UInt64.self) }
    set { memory.storeBytes(of: newValue, toByteOffset: IONLayout.tailOffset, as: UInt64.self) }
  }
  func slotOffset(_ sequence: UInt64) -> Int {
    IONLayout.slotsOffset + Int(sequence & UInt64(slotCount - 1)) * slotSize
  }
}

/// Publishes `value` as an 8-byte little-endian message.
func ionPublish(_ p: inout IONProducer, _ value: UInt64, type: UInt32 = 1) -> IONPublish {
  withUnsafeBytes(of: value.littleEndian) { p.tryPublish(type: type, bytes: $0) }
}

/// Consumes one message and returns its 8-byte value, or nil with the poll result.
func ionConsume(_ c: inout IONConsumer) -> (UInt64?, IONPoll) {
  var v: UInt64?
  let r = c.tryConsume { m in
    if m.payload.count == 8 { v = UInt64(littleEndian: m.payload.loadUnaligned(as: UInt64.self)) }
  }
  return (v, r)
}

final class IONRingTests: XCTestCase {
  func testFormatWritesTheFrozenHeaderBytes() throws {
    let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 0x80 + 4 * 24 + 16, alignment: 64)
    defer { memory.deallocate() }
    memory.initializeMemory(as: UInt8.self, repeating: 0xAA)
    let g = try IONRing.format(at: memory, slotSize: 24, slotCount: 4, channel: 0x1122_3344_5566_7788, flags: 0x0102_0304)
    XCTAssertEqual(g, IONGeometry(slotSize: 24, slotCount: 4))
    XCTAssertEqual(Array(memory[0..<4]), Array("ION1".utf8))
    XCTAssertEqual(Array(memory[4..<8]), [24, 0, 0, 0])
    XCTAssertEqual(Array(memory[8..<12]), [4, 0, 0, 0])
    XCTAssertEqual(Array(memory[12..<16]), [4, 3, 2, 1])
    XCTAssertEqual(Array(memory[16..<24]), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
    XCTAssertTrue(memory[24..<(0x80 + 96)].allSatisfy { $0 == 0 }, "cursors, reserved and slots zero")
    XCTAssertTrue(memory[(0x80 + 96)...].allSatisfy { $0 == 0xAA }, "format must not write past the slots")
    XCTAssertEqual(IONRing.channel(of: UnsafeRawBufferPointer(memory)), 0x1122_3344_5566_7788)
    XCTAssertEqual(IONRing.flags(of: UnsafeRawBufferPointer(memory)), 0x0102_0304)

    // One published message lands at 0x80 as u32 length, u32 type, payload; head at 0x18 says 1.
    var p = try IONProducer(attaching: memory)
    XCTAssertEqual(ionPublish(&p, 0x0807_0605_0403_0201, type: 9), .published)
    XCTAssertEqual(Array(memory[0x80..<0x90]), [8, 0, 0, 0, 9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    XCTAssertEqual(Array(memory[0x18..<0x20]), [1, 0, 0, 0, 0, 0, 0, 0])
    XCTAssertEqual(Array(memory[0x40..<0x48]), [0, 0, 0, 0, 0, 0, 0, 0])
    var c = try IONConsumer(attaching: memory)
    XCTAssertEqual(ionConsume(&c).0, 0x0807_0605_0403_0201)
    XCTAssertEqual(Array(memory[0x40..<0x48]), [1, 0, 0, 0, 0, 0, 0, 0])
  }

  func testFormatValidatesGeometryAndMemory() {
    let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 64)
    defer { memory.deallocate() }
    func format(_ m: UnsafeMutableRawBufferPointer, _ size: Int, _ count: Int) -> IONSetupError? {
      do { try IONRing.format(at: m, slotSize: size, slotCount: count, channel: 0); return nil } catch { return error }
    }
    XCTAssertEqual(format(memory, 12, 4), .badSlotSize)
    XCTAssertEqual(format(memory, 8, 4), .badSlotSize)
    XCTAssertEqual(format(memory, 20, 4), .badSlotSize)
    XCTAssertEqual(format(memory, 16, 0), .badSlotCount)
    XCTAssertEqual(format(memory, 16, 6), .badSlotCount)
    XCTAssertEqual(format(memory, 16, -4), .badSlotCount)
    XCTAssertEqual(format(memory, 64, 64), .tooSmall, "128 + 64*64 > 4096")
    XCTAssertEqual(format(UnsafeMutableRawBufferPointer(rebasing: memory[0..<(0x80 + 16 * 4 - 1)]), 16, 4), .tooSmall)
    XCTAssertEqual(format(UnsafeMutableRawBufferPointer(start: nil, count: 0), 16, 4), .tooSmall)
    XCTAssertEqual(format(UnsafeMutableRawBufferPointer(rebasing: memory[4...]), 16, 4), .misaligned)
    XCTAssertNil(format(UnsafeMutableRawBufferPointer(rebasing: memory[0..<(0x80 + 16 * 4)]), 16, 4))
    XCTAssertNil(format(memory, 16, 1))
  }

  func testAttachRejectsBadHeaders() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    func attach() -> IONSetupError? {
      do { _ = try IONConsumer(attaching: ring.memory); _ = try IONProducer(attaching: ring.memory); return nil } catch {
        return error
      }
    }
    XCTAssertNil(attach())
    ring.memory.storeBytes(of: UInt32(6), toByteOffset: IONLayout.slotCountOffset, as: UInt32.self)
    XCTAssertEqual(attach(), .badSlotCount)
    ring.memory.storeBytes(of: UInt32(1 << 20), toByteOffset: IONLayout.slotCountOffset, as: UInt32.self)
    XCTAssertEqual(attach(), .tooSmall, "a header that claims more slots than the memory holds")
    ring.memory.storeBytes(of: UInt32(8), toByteOffset: IONLayout.slotCountOffset, as: UInt32.self)
    ring.memory.storeBytes(of: UInt32(12), toByteOffset: IONLayout.slotSizeOffset, as: UInt32.self)
    XCTAssertEqual(attach(), .badSlotSize)
    ring.memory.storeBytes(of: UInt32(16), toByteOffset: IONLayout.slotSizeOffset, as: UInt32.self)
    ring.head = 9
    XCTAssertEqual(attach(), .cursorsOutOfRange)
    ring.head = 0
    ring.tail = 1
    XCTAssertEqual(attach(), .cursorsOutOfRange, "tail ahead of head")
    ring.tail = 0
    ring.memory.storeBytes(of: UInt32(0x324E_4F49), toByteOffset: 0, as: UInt32.self)
    XCTAssertEqual(attach(), .badMagic)
    do {
      _ = try IONConsumer(attaching: UnsafeMutableRawBufferPointer(rebasing: ring.memory[0..<64]))
      XCTFail("attached to 64 bytes")
    } catch {
      XCTAssertEqual(error, .tooSmall)
    }
  }

  func testEmptyAndFull() {
    let ring = IONTestRing(slotSize: 16, slotCount: 4)
    var p = ring.producer()
    var c = ring.consumer()
    XCTAssertEqual(ionConsume(&c).1, .empty)
    for i in 0..<4 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    XCTAssertEqual(ionPublish(&p, 99), .full)
    XCTAssertEqual(ionPublish(&p, 99), .full, "full stays full until the consumer moves")
    XCTAssertEqual(ring.head, 4)
    XCTAssertEqual(ionConsume(&c).0, 0)
    XCTAssertEqual(ionPublish(&p, 4), .published)
    XCTAssertEqual(ionPublish(&p, 99), .full)
    for i in 1...4 { XCTAssertEqual(ionConsume(&c).0, UInt64(i)) }
    XCTAssertEqual(ionConsume(&c).1, .empty)
    XCTAssertFalse(p.isClosed)
    XCTAssertFalse(c.isClosed)
  }

  func testTooLargeAndZeroLength() {
    let ring = IONTestRing(slotSize: 16, slotCount: 4)
    var p = ring.producer()
    var c = ring.consumer()
    let nine = [UInt8](repeating: 1, count: 9)
    XCTAssertEqual(nine.withUnsafeBytes { p.tryPublish(type: 0, bytes: $0) }, .tooLarge)
    XCTAssertEqual(p.tryPublish(type: 3, bytes: UnsafeRawBufferPointer(start: nil, count: 0)), .published)
    XCTAssertEqual(p.tryPublish(type: 4, length: 8) { $0.storeBytes(of: UInt64(42), as: UInt64.self) }, .published)
    XCTAssertEqual(p.tryPublish(type: 5, length: 9) { _ in XCTFail("fill must not run") }, .tooLarge)
    XCTAssertEqual(p.tryPublish(type: 6, value: (UInt32(1), UInt32(2))), .published)
    XCTAssertEqual(p.tryPublish(type: 7, value: (UInt64(1), UInt8(2))), .tooLarge)
    var buffer = [UInt8](repeating: 0, count: 8)
    XCTAssertEqual(buffer.withUnsafeMutableBytes { c.tryConsume(into: $0) }, .message(type: 3, length: 0))
    XCTAssertEqual(buffer.withUnsafeMutableBytes { c.tryConsume(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<4])) },
                   .bufferTooSmall(length: 8))
    XCTAssertEqual(buffer.withUnsafeMutableBytes { c.tryConsume(into: $0) }, .message(type: 4, length: 8))
    XCTAssertEqual(buffer.withUnsafeBytes { $0.load(as: UInt64.self) }, 42)
    XCTAssertEqual(buffer.withUnsafeMutableBytes { c.tryConsume(into: $0) }, .message(type: 6, length: 8))
    XCTAssertEqual(buffer, [1, 0, 0, 0, 2, 0, 0, 0])
    XCTAssertEqual(buffer.withUnsafeMutableBytes { c.tryConsume(into: $0) }, .empty)
  }

  /// Backpressure never drops: a producer that retries on .full delivers every message, in order.
  func testBackpressureNeverDrops() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    var p = ring.producer()
    var c = ring.consumer()
    var next: UInt64 = 0
    var expected: UInt64 = 0
    var fulls = 0
    while expected < 10_000 {
      // Publish until full, then drain a few, so the ring is full often.
      while next < 10_000 {
        let r = ionPublish(&p, next)
        if r == .full { fulls += 1; break }
        XCTAssertEqual(r, .published)
        next += 1
      }
      for _ in 0..<Int(next % 5 + 1) {
        let (v, r) = ionConsume(&c)
        if r == .empty { break }
        XCTAssertEqual(v, expected)
        expected += 1
      }
    }
    XCTAssertGreaterThan(fulls, 100)
    XCTAssertEqual(ionConsume(&c).1, .empty)
  }

  /// The sequence goes round a 4-slot ring thousands of times.
  func testWraparoundManyTimes() {
    let ring = IONTestRing(slotSize: 16, slotCount: 4)
    var p = ring.producer()
    var c = ring.consumer()
    for i in 0..<20_000 as Range<UInt64> {
      XCTAssertEqual(ionPublish(&p, i &* 2_654_435_761), .published)
      if i % 3 == 2 { XCTAssertEqual(ionPublish(&p, 0), .published) }  // shifts the phase
      XCTAssertEqual(ionConsume(&c).0, i &* 2_654_435_761)
      if i % 3 == 2 { XCTAssertEqual(ionConsume(&c).0, 0) }
    }
    XCTAssertEqual(ring.head, ring.tail)
    XCTAssertGreaterThan(ring.head, 4 * 5000)
  }

  /// Cursors that start just below UInt64.max wrap to 0 without a hiccup (wrapping arithmetic).
  func testWraparoundAcrossUInt64Max() {
    let start = UInt64.max - 5
    let ring = IONTestRing(slotSize: 16, slotCount: 8, initialSequence: start)
    var p = ring.producer()
    var c = ring.consumer()
    XCTAssertEqual(p.sequence, start)
    for i in 0..<8 as Range<UInt64> { XCTAssertEqual(ionPublish(&p, i), .published) }
    XCTAssertEqual(ionPublish(&p, 8), .full, "full exactly at count across the wrap")
    XCTAssertEqual(ring.head, 2, "head wrapped: UInt64.max - 5 + 8")
    var seqs: [UInt64] = []
    for i in 0..<8 as Range<UInt64> {
      var v: UInt64 = 0
      XCTAssertEqual(c.tryConsume { m in v = m.payload.loadUnaligned(as: UInt64.self); seqs.append(m.sequence) }, .consumed(1))
      XCTAssertEqual(v, i)
    }
    XCTAssertEqual(seqs, [start, start + 1, start + 2, start + 3, start + 4, UInt64.max, 0, 1])
    XCTAssertEqual(ionConsume(&c).1, .empty)
    for i in 0..<1000 as Range<UInt64> {
      XCTAssertEqual(ionPublish(&p, i), .published)
      XCTAssertEqual(ionConsume(&c).0, i)
    }
    XCTAssertFalse(c.isClosed)
    XCTAssertFalse(p.isClosed)
  }

  func testBatchedPublishAndConsume() {
    let ring = IONTestRing(slotSize: 24, slotCount: 16, initialSequence: UInt64.max - 20)
    var p = ring.producer()
    var c = ring.consumer()
    var next: UInt64 = 0
    var expected: UInt64 = 0
    for round in 0..<500 {
      let want = round % 7 + 1
      switch p.tryReserve(upTo: want) {
      case .reserved(let r):
        XCTAssertGreaterThanOrEqual(r.count, 1)
        XCTAssertLessThanOrEqual(r.count, want)
        let headBefore = ring.head
        for i in 0..<r.count {
          XCTAssertTrue(r.write(i, type: UInt32(i), value: next + UInt64(i)))
        }
        XCTAssertEqual(ring.head, headBefore, "nothing visible before publish")
        let k = r.count
        do { let published = p.publish(r); XCTAssertEqual(published, .published) }
        XCTAssertEqual(ring.head, headBefore &+ UInt64(k), "one head store for the batch")
        next += UInt64(k)
      case .full: break
      case .closed: XCTFail("unexpected")
      case .invalidCount: XCTFail("unexpected")
      }
      let r = c.consume(upTo: round % 5 + 1) { m in
        XCTAssertEqual(m.payload.loadUnaligned(as: UInt64.self), expected)
        expected += 1
      }
      if case .closed = r { XCTFail("closed") }
    }
    while case .consumed = c.consume(upTo: 100, { m in
      XCTAssertEqual(m.payload.loadUnaligned(as: UInt64.self), expected); expected += 1
    }) {}
    XCTAssertEqual(expected, next)
    XCTAssertGreaterThan(next, 1000)
  }

  func testReservationExactlyPartialAbandonAndStale() {
    let ring = IONTestRing(slotSize: 16, slotCount: 8)
    var p = ring.producer()
    var c = ring.consumer()
    guard case .invalidCount = p.tryReserve(exactly: 9) else { return XCTFail() }
    guard case .invalidCount = p.tryReserve(exactly: 0) else { return XCTFail() }
    guard case .invalidCount = p.tryReserve(upTo: 0) else { return XCTFail() }
    // Abandon: nothing becomes visible, the slots come back.
    switch p.tryReserve(exactly: 8) {
    case .reserved(let r): XCTAssertEqual(r.count, 8); p.abandon(r)
    default: XCTFail()
    }
    XCTAssertEqual(ring.head, 0)
    XCTAssertEqual(ionConsume(&c).1, .empty)
    // Partial publish: 3 of 5.
    switch p.tryReserve(exactly: 5) {
    case .reserved(let r):
      for i in 0..<5 { _ = r.write(i, type: 0, value: UInt64(100 + i)) }
      do { let published = p.publish(r, count: 3); XCTAssertEqual(published, .published) }
    default: XCTFail()
    }
    XCTAssertEqual(ring.head, 3)
    guard case .full = p.tryReserve(exactly: 6) else { return XCTFail("only 5 free") }
    // A reservation overtaken by a direct publish is stale and publishes nothing.
    switch p.tryReserve(upTo: 2) {
    case .reserved(let r):
      XCTAssertEqual(ionPublish(&p, 103), .published)
      do { let published = p.publish(r); XCTAssertEqual(published, .stale) }
    default: XCTFail()
    }
    XCTAssertEqual(ring.head, 4)
    for i in 0..<4 { XCTAssertEqual(ionConsume(&c).0, UInt64(100 + i)) }
    XCTAssertEqual(ionConsume(&c).1, .empty)
    // payload/setHeader fill in place.
    switch p.tryReserve(upTo: 2) {
    case .reserved(let r):
      r.payload(0).storeBytes(of: UInt64(7), as: UInt64.self)
      r.setHeader(0, type: 2, length: 8)
      r.payload(1).storeBytes(of: UInt8(9), as: UInt8.self)
      r.setHeader(1, type: 3, length: 1)
      do { let published = p.publish(r); XCTAssertEqual(published, .published) }
    default: XCTFail()
    }
    var got: [(UInt32, [UInt8])] = []
    XCTAssertEqual(c.consume(upTo: 10) { got.append(($0.type, Array($0.payload))) }, .consumed(2))
    XCTAssertEqual(got.map { $0.0 }, [2, 3])
    XCTAssertEqual(got[0].1, [7, 0, 0, 0, 0, 0, 0, 0])
    XCTAssertEqual(got[1].1, [9])
    XCTAssertEqual(c.consume(upTo: 0) { _ in XCTFail() }, .consumed(0))
    // upTo reserves what is free when less than asked.
    for i in 0..<6 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    switch p.tryReserve(upTo: 5) {
    case .reserved(let r): XCTAssertEqual(r.count, 2); p.abandon(r)
    default: XCTFail()
    }
    for i in 0..<2 { XCTAssertEqual(ionPublish(&p, UInt64(i)), .published) }
    guard case .full = p.tryReserve(upTo: 1) else { return XCTFail() }
  }

  func testCloseByOwner() {
    let ring = IONTestRing(slotSize: 16, slotCount: 4)
    var p = ring.producer()
    var c = ring.consumer()
    XCTAssertEqual(ionPublish(&p, 1), .published)
    p.close()
    XCTAssertEqual(p.closeReason, .closedByOwner)
    XCTAssertEqual(ionPublish(&p, 2), .closed)
    guard case .closed = p.tryReserve(upTo: 1) else { return XCTFail() }
    XCTAssertEqual(ionConsume(&c).0, 1)
    c.close()
    XCTAssertEqual(ionConsume(&c).1, .closed)
    XCTAssertEqual(c.closeReason, .closedByOwner)
  }
}
