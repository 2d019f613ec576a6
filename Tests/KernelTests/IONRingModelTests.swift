// ION ring (DESIGN §3.3) against a reference model: an Array FIFO with a capacity. A seeded PRNG
// drives random publishes (three APIs), reservations (upTo / exactly, full or partial publish,
// abandon), single and batched consumes and copy-out consumes with random buffer sizes; every result
// and every delivered message is compared with the model.

import RumpkABI
import RumpkION
import RumpkKernel
import TestSupport
import XCTest

final class IONRingModelTests: XCTestCase {
  struct Message: Equatable {
    var type: UInt32
    var bytes: [UInt8]
  }

  /// The reference: what a bounded FIFO says each operation must answer.
  struct Model {
    let capacity: Int
    let maxPayload: Int
    var fifo: [Message] = []
    var free: Int { capacity - fifo.count }

    mutating func publish(_ m: Message) -> IONPublish {
      if m.bytes.count > maxPayload { return .tooLarge }
      if fifo.count == capacity { return .full }
      fifo.append(m)
      return .published
    }

    mutating func take(_ n: Int) -> [Message] {
      let k = min(n, fifo.count)
      let out = Array(fifo.prefix(k))
      fifo.removeFirst(k)
      return out
    }
  }

  func randomMessage(_ rng: inout SplitMix64, maxLength: Int) -> Message {
    let length = Int(rng.next() % UInt64(maxLength + 1))
    return Message(type: UInt32(truncatingIfNeeded: rng.next()), bytes: (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
  }

  func runModel(seed: UInt64, steps: Int) {
    var rng = SplitMix64(seed: seed)
    let slotSize = [16, 24, 40, 72][Int(rng.next() % 4)]
    let slotCount = 1 << Int(rng.next() % 5)  // 1 ... 16
    let start: UInt64 = [0, UInt64.max - UInt64(rng.next() % 40), rng.next()][Int(rng.next() % 3)]
    let ring = IONTestRing(slotSize: slotSize, slotCount: slotCount, initialSequence: start)
    var p = ring.producer()
    var c = ring.consumer()
    var model = Model(capacity: slotCount, maxPayload: slotSize - 8)
    let context = "seed \(seed) slot \(slotSize)x\(slotCount) start \(start)"

    func check(_ a: IONPublish, _ b: IONPublish, _ step: Int) {
      XCTAssertEqual(a, b, "publish, step \(step), \(context)")
    }

    for step in 0..<steps {
      switch rng.next() % 9 {
      case 0:  // publish by copying bytes (sometimes too large)
        let m = randomMessage(&rng, maxLength: slotSize - 8 + 2)
        let r = m.bytes.withUnsafeBytes { p.tryPublish(type: m.type, bytes: $0) }
        check(r, model.publish(m), step)
      case 1:  // publish filling in place
        let m = randomMessage(&rng, maxLength: slotSize - 8 + 2)
        let r = p.tryPublish(type: m.type, length: m.bytes.count) { out in
          m.bytes.withUnsafeBytes { out.copyMemory(from: $0) }
        }
        check(r, model.publish(m), step)
      case 2:  // publish a fixed-size value
        let v = rng.next()
        let r = p.tryPublish(type: 77, value: v)
        check(r, model.publish(Message(type: 77, bytes: withUnsafeBytes(of: v) { Array($0) })), step)
      case 3:  // reserve up to n, fill, publish k of them (or abandon)
        let n = Int(rng.next() % UInt64(slotCount + 2))
        switch p.tryReserve(upTo: n) {
        case .reserved(let r):
          XCTAssertGreaterThan(n, 0)
          XCTAssertEqual(r.count, min(n, model.free), "reserve upTo, step \(step), \(context)")
          let messages = (0..<r.count).map { _ in randomMessage(&rng, maxLength: slotSize - 8) }
          for (i, m) in messages.enumerated() {
            XCTAssertTrue(m.bytes.withUnsafeBytes { r.write(i, type: m.type, bytes: $0) })
          }
          switch rng.next() % 3 {
          case 0:
            p.abandon(r)
          case 1:
            do { let published = p.publish(r); XCTAssertEqual(published, .published) }
            for m in messages { XCTAssertEqual(model.publish(m), .published) }
          default:
            let k = Int(rng.next() % UInt64(r.count + 1))
            do { let published = p.publish(r, count: k); XCTAssertEqual(published, .published) }
            for m in messages.prefix(k) { XCTAssertEqual(model.publish(m), .published) }
          }
        case .full: XCTAssertTrue(n > 0 && model.free == 0, "reserve full, step \(step), \(context)")
        case .invalidCount: XCTAssertLessThanOrEqual(n, 0)
        case .closed: XCTFail("closed, step \(step), \(context)")
        }
      case 4:  // reserve exactly n
        let n = Int(rng.next() % UInt64(slotCount + 2))
        switch p.tryReserve(exactly: n) {
        case .reserved(let r):
          XCTAssertEqual(r.count, n)
          XCTAssertLessThanOrEqual(n, model.free)
          let messages = (0..<n).map { _ in randomMessage(&rng, maxLength: slotSize - 8) }
          for (i, m) in messages.enumerated() {
            m.bytes.withUnsafeBytes { r.payload(i).copyMemory(from: $0) }
            r.setHeader(i, type: m.type, length: m.bytes.count)
          }
          do { let published = p.publish(r); XCTAssertEqual(published, .published) }
          for m in messages { XCTAssertEqual(model.publish(m), .published) }
        case .full: XCTAssertTrue(n >= 1 && n <= slotCount && n > model.free, "exactly full, step \(step), \(context)")
        case .invalidCount: XCTAssertTrue(n < 1 || n > slotCount)
        case .closed: XCTFail("closed, step \(step), \(context)")
        }
      case 5, 6:  // consume one through a closure
        var got: [Message] = []
        let r = c.tryConsume { got.append(Message(type: $0.type, bytes: Array($0.payload))) }
        let want = model.take(1)
        XCTAssertEqual(r, want.isEmpty ? .empty : .consumed(1), "consume, step \(step), \(context)")
        XCTAssertEqual(got, want, "consume, step \(step), \(context)")
      case 7:  // consume a batch
        let n = Int(rng.next() % UInt64(slotCount + 3))
        var got: [Message] = []
        let r = c.consume(upTo: n) { got.append(Message(type: $0.type, bytes: Array($0.payload))) }
        let want = model.take(n)
        let expected: IONPoll = n <= 0 ? .consumed(0) : (want.isEmpty ? .empty : .consumed(want.count))
        XCTAssertEqual(r, expected, "batch, step \(step), \(context)")
        XCTAssertEqual(got, want, "batch, step \(step), \(context)")
      default:  // consume by copying into a buffer that may be too small
        let size = Int(rng.next() % UInt64(slotSize))
        var buffer = [UInt8](repeating: 0, count: size)
        let r = buffer.withUnsafeMutableBytes { c.tryConsume(into: $0) }
        if let m = model.fifo.first {
          if m.bytes.count > size {
            XCTAssertEqual(r, .bufferTooSmall(length: m.bytes.count), "into, step \(step), \(context)")
          } else {
            XCTAssertEqual(r, .message(type: m.type, length: m.bytes.count), "into, step \(step), \(context)")
            XCTAssertEqual(Array(buffer.prefix(m.bytes.count)), m.bytes)
            _ = model.take(1)
          }
        } else {
          XCTAssertEqual(r, .empty, "into, step \(step), \(context)")
        }
      }
      // The cursors in shared memory always agree with the model's fill level.
      XCTAssertEqual(Int(ring.head &- ring.tail), model.fifo.count, "fill, step \(step), \(context)")
    }
    XCTAssertFalse(p.isClosed)
    XCTAssertFalse(c.isClosed)
  }

  func testRandomOperationsMatchTheModel() {
    for seed in 1...60 as ClosedRange<UInt64> {
      runModel(seed: seed &* 0x9E37_79B9, steps: 3000)
    }
  }
}
