// The consumer side of an ION ring (DESIGN §3.3). It owns the tail; the producer's head, the magic
// and every slot header are peer input: never trusted, checked before use, and a violation closes the
// channel (this view enters a closed state) instead of trapping.
//
// Hot path: the consumer keeps its own tail and a private cached copy of the producer's head. It reads
// the shared head (acquire) only when the cached value says the ring is empty, reads the slot, then
// release-stores tail — once per message, or once per batch.

import RumpkABI
import RumpkPlatform

/// The single consumer of one ring. Non-copyable: one ring has one consumer.
public struct IONConsumer: ~Copyable {
  @usableFromInline let headPointer: UnsafeMutablePointer<UInt64>
  @usableFromInline let tailPointer: UnsafeMutablePointer<UInt64>
  @usableFromInline let magicPointer: UnsafeMutablePointer<UInt32>
  @usableFromInline let slots: UnsafeMutableRawPointer
  @usableFromInline let mask: UInt64
  @usableFromInline let count: UInt64
  @usableFromInline let slotSize: Int
  /// Largest payload of one message (slot size - 8), from the geometry read at attach.
  public let maxPayload: Int
  /// Next sequence to consume (own cursor; the shared tail always equals it).
  @usableFromInline var tail: UInt64
  /// The producer's head as last read and checked; never behind tail.
  @usableFromInline var cachedHead: UInt64
  @usableFromInline var fault: IONFault?

  /// Attaches to a ring formatted by `IONRing.format`. Assumes: no other consumer is attached.
  /// Checks the header (`IONRing.geometry`) and that head - tail <= slot count; from then on the
  /// geometry is never re-read. Throws without writing anything.
  public init(attaching memory: UnsafeMutableRawBufferPointer) throws(IONSetupError) {
    let a = try IONRing.attach(memory)
    headPointer = a.headPointer
    tailPointer = a.tailPointer
    magicPointer = a.magicPointer
    slots = a.slots
    count = UInt64(a.geometry.slotCount)
    mask = count &- 1
    slotSize = a.geometry.slotSize
    maxPayload = a.geometry.maxPayload
    tail = a.tail
    cachedHead = a.head
    fault = nil
  }

  /// Slots in the ring.
  public var capacity: Int { Int(count) }
  /// Next sequence this consumer will consume.
  public var sequence: UInt64 { tail }
  /// Messages known to be waiting (there may be more: the producer may have published since).
  public var knownAvailable: Int { Int(cachedHead &- tail) }
  /// True once the channel is closed; every call then answers `.closed`.
  public var isClosed: Bool { fault != nil }
  /// Why the channel closed, or nil while it is open.
  public var closeReason: IONFault? { fault }

  /// Closes the channel on this side. Writes nothing to shared memory.
  public mutating func close() {
    if fault == nil { enterClosed(.closedByOwner) }
  }

  /// Records the fault and makes the cached head say "empty", so every hot-path check falls through to
  /// `refreshHead`, which answers closed: the fast path needs no separate closed test.
  @inlinable
  mutating func enterClosed(_ f: IONFault) {
    fault = f
    cachedHead = tail
  }

  /// Hands the next message to `body`, then releases its slot (one tail store).
  /// Guarantees: `.consumed(1)` after `body` ran; `.empty` without calling `body`; `.closed` when the
  /// channel is or just became closed (bad head, magic or length), without calling `body`.
  @inlinable @inline(__always)
  public mutating func tryConsume(_ body: (IONMessage) -> Void) -> IONPoll {
    if cachedHead == tail {  // empty by the cache, or closed (closing sets cachedHead = tail)
      guard refreshHead() else { return .closed }
      if cachedHead == tail { return .empty }
    }
    let s = slotAddress(tail)
    guard let length = checkedLength(s) else { return .closed }
    let type = UInt32(littleEndian: s.load(fromByteOffset: 4, as: UInt32.self))
    body(IONMessage(type: type, payload: UnsafeRawBufferPointer(start: s + 8, count: length), sequence: tail))
    tail &+= 1
    rumpk_store_release_u64(tailPointer, tail.littleEndian)
    return .consumed(1)
  }

  /// Copies the next message's payload into `buffer` and releases its slot.
  /// Guarantees: the slot is released only on `.message`; `.bufferTooSmall` leaves it in the ring.
  @inlinable @inline(__always)
  public mutating func tryConsume(into buffer: UnsafeMutableRawBufferPointer) -> IONReceive {
    if cachedHead == tail {  // empty by the cache, or closed (closing sets cachedHead = tail)
      guard refreshHead() else { return .closed }
      if cachedHead == tail { return .empty }
    }
    let s = slotAddress(tail)
    guard let length = checkedLength(s) else { return .closed }
    guard length <= buffer.count else { return .bufferTooSmall(length: length) }
    let type = UInt32(littleEndian: s.load(fromByteOffset: 4, as: UInt32.self))
    if length > 0, let dst = buffer.baseAddress { dst.copyMemory(from: s + 8, byteCount: length) }
    tail &+= 1
    rumpk_store_release_u64(tailPointer, tail.littleEndian)
    return .message(type: type, length: length)
  }

  /// Hands up to `n` waiting messages to `body` in order, then releases them all with one tail store.
  /// Guarantees: `.consumed(k)` with 1 <= k <= n (`.consumed(0)` when n <= 0); `.empty` when none is
  /// waiting. When a slot turns out corrupt mid-batch, the messages before it were handed to `body`
  /// and released, and the answer is `.closed`.
  @inlinable @inline(__always)
  public mutating func consume(upTo n: Int, _ body: (IONMessage) -> Void) -> IONPoll {
    guard n > 0 else { return fault == nil ? .consumed(0) : .closed }
    if cachedHead &- tail < UInt64(n) {  // fewer known than asked for, or closed
      guard refreshHead() else { return .closed }
      if cachedHead == tail { return .empty }
    }
    let available = cachedHead &- tail
    let k = available < UInt64(n) ? Int(available) : n
    var s = tail
    for _ in 0..<k {
      let p = slotAddress(s)
      guard let length = checkedLength(p) else {
        if s != tail {
          tail = s
          rumpk_store_release_u64(tailPointer, tail.littleEndian)
        }
        cachedHead = tail
        return .closed
      }
      let type = UInt32(littleEndian: p.load(fromByteOffset: 4, as: UInt32.self))
      body(IONMessage(type: type, payload: UnsafeRawBufferPointer(start: p + 8, count: length), sequence: s))
      s &+= 1
    }
    tail = s
    rumpk_store_release_u64(tailPointer, tail.littleEndian)
    return .consumed(k)
  }

  // MARK: internals

  @inlinable @inline(__always)
  func slotAddress(_ sequence: UInt64) -> UnsafeMutableRawPointer {
    slots + Int(truncatingIfNeeded: sequence & mask) &* slotSize
  }

  /// The length of the message in slot `s`, read once (an atomic load, so the compiler cannot read it
  /// again after the check) and checked against the slot size. Closes the channel and answers nil when
  /// it is too long.
  @inlinable @inline(__always)
  mutating func checkedLength(_ s: UnsafeMutableRawPointer) -> Int? {
    let length = UInt32(littleEndian: rumpk_load_relaxed_u32(s.assumingMemoryBound(to: UInt32.self)))
    guard Int(length) <= maxPayload else {
      enterClosed(.lengthOutOfRange)
      return nil
    }
    return Int(length)
  }

  /// Reloads the producer's head. Guarantees: false at once when already closed. Otherwise: returns true with
  /// `cachedHead` updated when the magic is intact and the new head is plausible (not behind the
  /// cached head: a head only moves forward; at most slot count ahead of tail); otherwise closes and
  /// returns false.
  @inlinable
  mutating func refreshHead() -> Bool {
    guard fault == nil else { return false }
    guard UInt32(littleEndian: rumpk_load_relaxed_u32(magicPointer)) == IONLayout.magic else {
      enterClosed(.badMagic)
      return false
    }
    let h = UInt64(littleEndian: rumpk_load_acquire_u64(headPointer))
    let ahead = h &- tail
    guard ahead <= count, ahead >= cachedHead &- tail else {
      enterClosed(.headOutOfRange)
      return false
    }
    cachedHead = h
    return true
  }
}
