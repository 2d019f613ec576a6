// ION ring (DESIGN §3.3) across real threads: one producer thread and one consumer thread, millions
// of messages, checking order (every message carries its index) and a checksum of every payload byte.

import Foundation
import RumpkABI
import RumpkION
import RumpkKernel
import XCTest

final class IONRingThreadTests: XCTestCase {
  /// Payload of message i: 8-byte index, then (i % 17) bytes derived from it (lengths 8 ... 24).
  static func fill(_ i: UInt64, _ out: UnsafeMutableRawBufferPointer) -> Int {
    out.storeBytes(of: i.littleEndian, as: UInt64.self)
    let extra = Int(i % 17)
    for j in 0..<extra { out[8 + j] = UInt8(truncatingIfNeeded: i &* 31 &+ UInt64(j)) }
    return 8 + extra
  }

  static func checksum(_ bytes: UnsafeRawBufferPointer, _ acc: inout UInt64) {
    for b in bytes { acc = (acc ^ UInt64(b)) &* 0x100_0000_01B3 }
  }

  enum Mode { case single, batched }

  /// Runs `messages` messages through a ring between two threads; returns (producer checksum,
  /// consumer checksum, order errors).
  func run(messages: UInt64, slotCount: Int, mode: Mode, start: UInt64 = 0) -> (UInt64, UInt64, Int, Bool) {
    let ring = IONTestRing(slotSize: 32, slotCount: slotCount, initialSequence: start)
    nonisolated(unsafe) let memory = ring.memory
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var producerSum: UInt64 = 0xCBF2_9CE4_8422_2325
    nonisolated(unsafe) var producerClosed = false
    let producer = Thread {
      var p = try! IONProducer(attaching: memory)
      var sum: UInt64 = 0xCBF2_9CE4_8422_2325
      var scratch = [UInt8](repeating: 0, count: 24)
      var i: UInt64 = 0
      while i < messages {
        switch mode {
        case .single:
          let r = scratch.withUnsafeMutableBytes { buf -> IONPublish in
            let n = Self.fill(i, buf)
            return p.tryPublish(type: UInt32(truncatingIfNeeded: i), bytes: UnsafeRawBufferPointer(rebasing: buf[0..<n]))
          }
          if r == .published {
            scratch.withUnsafeBytes { Self.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(8 + Int(i % 17))]), &sum) }
            i += 1
          } else if r == .full {
            sched_yield()
          } else {
            producerClosed = true
            i = messages
          }
        case .batched:
          switch p.tryReserve(upTo: Int(i % 13) + 1) {
          case .reserved(let r):
            let k = min(r.count, Int(messages - i))
            for j in 0..<k {
              let seq = i + UInt64(j)
              let n = Self.fill(seq, r.payload(j))
              r.setHeader(j, type: UInt32(truncatingIfNeeded: seq), length: n)
              Self.checksum(UnsafeRawBufferPointer(rebasing: r.payload(j)[0..<n]), &sum)
            }
            _ = p.publish(r, count: k)
            i += UInt64(k)
          case .full: sched_yield()
          case .closed: producerClosed = true; i = messages
          case .invalidCount: producerClosed = true; i = messages
          }
        }
      }
      producerSum = sum
      done.signal()
    }
    producer.stackSize = 1 << 20
    producer.start()

    var c = try! IONConsumer(attaching: memory)
    var sum: UInt64 = 0xCBF2_9CE4_8422_2325
    var expected: UInt64 = 0
    var orderErrors = 0
    while expected < messages {
      let body: (IONMessage) -> Void = { m in
        let index = UInt64(littleEndian: m.payload.loadUnaligned(as: UInt64.self))
        if index != expected || m.type != UInt32(truncatingIfNeeded: index) || m.payload.count != 8 + Int(index % 17)
          || m.sequence != start &+ index
        {
          orderErrors += 1
        }
        Self.checksum(m.payload, &sum)
        expected += 1
      }
      let r = mode == .single ? c.tryConsume(body) : c.consume(upTo: 64, body)
      if r == .empty { sched_yield() } else if r == .closed { break }
    }
    done.wait()
    return (producerSum, sum, orderErrors, producerClosed || c.isClosed)
  }

  func testTwoMillionMessagesPerMessagePublication() {
    let (ps, cs, errors, closed) = run(messages: 2_000_000, slotCount: 256, mode: .single)
    XCTAssertEqual(errors, 0)
    XCTAssertEqual(ps, cs)
    XCTAssertFalse(closed)
  }

  func testTwoMillionMessagesBatchedAcrossUInt64Wrap() {
    let (ps, cs, errors, closed) = run(messages: 2_000_000, slotCount: 64, mode: .batched, start: UInt64.max - 1_000_000)
    XCTAssertEqual(errors, 0)
    XCTAssertEqual(ps, cs)
    XCTAssertFalse(closed)
  }

  /// A tiny ring keeps both sides on the full/empty slow paths: the refresh logic under contention.
  func testTinyRingUnderContention() {
    let (ps, cs, errors, closed) = run(messages: 300_000, slotCount: 2, mode: .single)
    XCTAssertEqual(errors, 0)
    XCTAssertEqual(ps, cs)
    XCTAssertFalse(closed)
  }
}
