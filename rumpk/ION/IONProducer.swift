// The producer side of an ION ring (DESIGN §3.3). It owns the head; the consumer's tail is peer input.
//
// Hot path: the producer keeps its own head and a private cached copy of the consumer's tail. It
// writes a slot, then release-stores head. It reads the shared tail (acquire) only when the cached
// value says the ring is full, so in steady state it never touches the consumer's cache line.

import RumpkABI
import RumpkPlatform

/// The single producer of one ring. Non-copyable: one ring has one producer, and a copy would carry a
/// diverging private cursor.
public struct IONProducer: ~Copyable {
  @usableFromInline let headPointer: UnsafeMutablePointer<UInt64>
  @usableFromInline let tailPointer: UnsafeMutablePointer<UInt64>
  @usableFromInline let magicPointer: UnsafeMutablePointer<UInt32>
  @usableFromInline let slots: UnsafeMutableRawPointer
  @usableFromInline let mask: UInt64
  @usableFromInline let count: UInt64
  @usableFromInline let slotSize: Int
  /// Largest payload of one message (slot size - 8).
  public let maxPayload: Int
  /// Next sequence to publish (own cursor; the shared head always equals it).
  @usableFromInline var head: UInt64
  /// The consumer's tail as last read; never ahead of the real one.
  @usableFromInline var cachedTail: UInt64
  @usableFromInline var fault: IONFault?

  /// Attaches to a ring formatted by `IONRing.format`. Assumes: no other producer is attached.
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
    head = a.head
    cachedTail = a.tail
    fault = nil
  }

  /// Slots in the ring.
  public var capacity: Int { Int(count) }
  /// Next sequence this producer will publish.
  public var sequence: UInt64 { head }
  /// Free slots as far as this producer knows (it may be more: the consumer may have moved on; 0 once
  /// closed).
  public var knownFree: Int { Int(count &- (head &- cachedTail)) }
  /// True once the channel is closed; every call then answers `.closed`.
  public var isClosed: Bool { fault != nil }
  /// Why the channel closed, or nil while it is open.
  public var closeReason: IONFault? { fault }

  /// Closes the channel on this side. Writes nothing to shared memory.
  public mutating func close() {
    if fault == nil { enterClosed(.closedByOwner) }
  }

  /// Records the fault and makes the cached tail say "full", so every hot-path check falls through to
  /// `refreshTail`, which answers closed: the fast path needs no separate closed test.
  @inlinable
  mutating func enterClosed(_ f: IONFault) {
    fault = f
    cachedTail = head &- count
  }

  // MARK: one message

  /// Publishes one message, copying `bytes` into the next slot.
  /// Guarantees: `.published` means the slot was written before head was release-stored; any other
  /// result means nothing was written or dropped — `.full` is backpressure, retry later.
  @inlinable @inline(__always)
  public mutating func tryPublish(type: UInt32, bytes: UnsafeRawBufferPointer) -> IONPublish {
    guard bytes.count <= maxPayload else { return fault == nil ? .tooLarge : .closed }
    if head &- cachedTail >= count {  // full by the cache, or closed (closing makes the cache say full)
      guard refreshTail() else { return .closed }
      if head &- cachedTail >= count { return .full }
    }
    let s = slotAddress(head)
    if let src = bytes.baseAddress, bytes.count > 0 { (s + 8).copyMemory(from: src, byteCount: bytes.count) }
    IONRing.writeHeader(s, length: bytes.count, type: type)
    head &+= 1
    rumpk_store_release_u64(headPointer, head.littleEndian)
    return .published
  }

  /// Publishes one message holding `value`'s bytes (a fixed-size record: no length to compute, the
  /// copy is a few stores). Same guarantees as `tryPublish(type:bytes:)`.
  @inlinable @inline(__always)
  public mutating func tryPublish<T: BitwiseCopyable>(type: UInt32, value: T) -> IONPublish {
    guard MemoryLayout<T>.size <= maxPayload else { return fault == nil ? .tooLarge : .closed }
    if head &- cachedTail >= count {  // full by the cache, or closed
      guard refreshTail() else { return .closed }
      if head &- cachedTail >= count { return .full }
    }
    let s = slotAddress(head)
    IONRing.writePayload(s, value)
    IONRing.writeHeader(s, length: MemoryLayout<T>.size, type: type)
    head &+= 1
    rumpk_store_release_u64(headPointer, head.littleEndian)
    return .published
  }

  /// Publishes one message of `length` bytes that `fill` writes in place into the slot's payload
  /// (`length` bytes long). Same guarantees as `tryPublish(type:bytes:)`; `fill` runs only when the
  /// message will be published.
  @inlinable @inline(__always)
  public mutating func tryPublish(
    type: UInt32, length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void
  ) -> IONPublish {
    guard length >= 0, length <= maxPayload else { return fault == nil ? .tooLarge : .closed }
    if head &- cachedTail >= count {  // full by the cache, or closed
      guard refreshTail() else { return .closed }
      if head &- cachedTail >= count { return .full }
    }
    let s = slotAddress(head)
    fill(UnsafeMutableRawBufferPointer(start: s + 8, count: length))
    IONRing.writeHeader(s, length: length, type: type)
    head &+= 1
    rumpk_store_release_u64(headPointer, head.littleEndian)
    return .published
  }

  // MARK: batches

  /// Reserves between 1 and `n` consecutive slots (as many as are free, up to `n`).
  /// Guarantees: nothing is visible to the consumer until `publish`; the shared tail is read only
  /// when the cached one shows fewer than `n` free.
  @inlinable
  public mutating func tryReserve(upTo n: Int) -> IONReserve {
    guard fault == nil else { return .closed }
    guard n > 0 else { return .invalidCount }
    var free = count &- (head &- cachedTail)
    if free < UInt64(n) {
      guard refreshTail() else { return .closed }
      free = count &- (head &- cachedTail)
      if free == 0 { return .full }
    }
    let k = free < UInt64(n) ? Int(free) : n
    return .reserved(IONReservation(slots: slots, mask: mask, slotSize: slotSize, start: head, count: k))
  }

  /// Reserves exactly `n` consecutive slots, or answers `.full` when fewer are free (`.invalidCount`
  /// when `n` is not in 1 ... capacity).
  @inlinable
  public mutating func tryReserve(exactly n: Int) -> IONReserve {
    guard fault == nil else { return .closed }
    guard n > 0, UInt64(n) <= count else { return .invalidCount }
    if count &- (head &- cachedTail) < UInt64(n) {
      guard refreshTail() else { return .closed }
      if count &- (head &- cachedTail) < UInt64(n) { return .full }
    }
    return .reserved(IONReservation(slots: slots, mask: mask, slotSize: slotSize, start: head, count: n))
  }

  /// Publishes every slot of `reservation` with one release store of head.
  @inlinable
  public mutating func publish(_ reservation: consuming IONReservation) -> IONPublish {
    let n = reservation.count
    return publish(reservation, count: n)
  }

  /// Publishes the first `k` slots of `reservation` (0 ... reservation.count; traps otherwise) with
  /// one release store of head, and gives the rest back.
  /// Guarantees: `.stale` (nothing published) when the reservation does not start at the current
  /// head; `.closed` when the channel closed meanwhile.
  @inlinable
  public mutating func publish(_ reservation: consuming IONReservation, count k: Int) -> IONPublish {
    let start = reservation.start
    let n = reservation.count
    reservation.finish()
    precondition(k >= 0 && k <= n, "ION publish count outside the reservation")
    guard fault == nil else { return .closed }
    guard start == head else { return .stale }
    if k > 0 {
      head &+= UInt64(k)
      rumpk_store_release_u64(headPointer, head.littleEndian)
    }
    return .published
  }

  /// Gives the reserved slots back without publishing anything.
  @inlinable
  public mutating func abandon(_ reservation: consuming IONReservation) {
    reservation.finish()
  }

  // MARK: internals

  @inlinable @inline(__always)
  func slotAddress(_ sequence: UInt64) -> UnsafeMutableRawPointer {
    slots + Int(truncatingIfNeeded: sequence & mask) &* slotSize
  }

  /// Reloads the consumer's tail. Guarantees: false at once when already closed. Otherwise: returns true with
  /// `cachedTail` updated when the new tail is plausible (between the cached tail and head: a tail only
  /// moves forward and never passes head) and the magic is intact; otherwise closes and returns false.
  @inlinable
  mutating func refreshTail() -> Bool {
    guard fault == nil else { return false }
    guard UInt32(littleEndian: rumpk_load_relaxed_u32(magicPointer)) == IONLayout.magic else {
      enterClosed(.badMagic)
      return false
    }
    let t = UInt64(littleEndian: rumpk_load_acquire_u64(tailPointer))
    guard t &- cachedTail <= head &- cachedTail else {
      enterClosed(.tailOutOfRange)
      return false
    }
    cachedTail = t
    return true
  }
}
