// A reservation of consecutive ring slots that the producer fills before publishing them with one
// head store. Non-copyable: a reservation is published or abandoned once, and only once.

import RumpkABI

/// Slots [start, start + count) of one producer's ring, reserved for writing. Nothing is visible to
/// the consumer until `IONProducer.publish(_:)`; `IONProducer.abandon(_:)` gives the slots back.
/// Every message in the published prefix must have been written (`write` or `setHeader`); an
/// unwritten slot publishes whatever that slot held before (bounded by the slot size, never unsafe).
@frozen
public struct IONReservation: ~Copyable {
  @usableFromInline let slots: UnsafeMutableRawPointer
  @usableFromInline let mask: UInt64
  @usableFromInline let slotSize: Int
  /// Largest payload of one message (slot size - 8).
  public let maxPayload: Int
  /// Sequence of the first reserved slot.
  public let start: UInt64
  /// Number of reserved slots (>= 1).
  public let count: Int

  @inlinable
  init(slots: UnsafeMutableRawPointer, mask: UInt64, slotSize: Int, start: UInt64, count: Int) {
    self.slots = slots
    self.mask = mask
    self.slotSize = slotSize
    self.maxPayload = slotSize - IONLayout.slotHeaderSize
    self.start = start
    self.count = count
  }

  /// Start of slot `i` (0 ..< count). Traps on an index outside the reservation (a caller bug).
  @inlinable @inline(__always)
  func slot(_ i: Int) -> UnsafeMutableRawPointer {
    precondition(i >= 0 && i < count, "ION reservation index out of range")
    return slots + Int(truncatingIfNeeded: (start &+ UInt64(truncatingIfNeeded: i)) & mask) &* slotSize
  }

  /// The payload area of message `i`, `maxPayload` bytes, to fill in place before `setHeader`.
  @inlinable @inline(__always)
  public func payload(_ i: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: slot(i) + 8, count: maxPayload)
  }

  /// Writes the length and type of message `i`. Assumes `length <= maxPayload` (traps otherwise).
  @inlinable @inline(__always)
  public func setHeader(_ i: Int, type: UInt32, length: Int) {
    precondition(length >= 0 && length <= maxPayload, "ION message longer than the slot")
    let s = slot(i)
    IONRing.writeHeader(s, length: length, type: type)
  }

  /// Copies `bytes` into message `i` and writes its header. Returns false, writing nothing, when the
  /// bytes do not fit a slot.
  @inlinable @inline(__always)
  public func write(_ i: Int, type: UInt32, bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count <= maxPayload else { return false }
    let s = slot(i)
    if let src = bytes.baseAddress, bytes.count > 0 { (s + 8).copyMemory(from: src, byteCount: bytes.count) }
    IONRing.writeHeader(s, length: bytes.count, type: type)
    return true
  }

  /// Stores `value`'s bytes as message `i`. Returns false, writing nothing, when it does not fit.
  @inlinable @inline(__always)
  public func write<T: BitwiseCopyable>(_ i: Int, type: UInt32, value: T) -> Bool {
    guard MemoryLayout<T>.size <= maxPayload else { return false }
    let s = slot(i)
    IONRing.writePayload(s, value)
    IONRing.writeHeader(s, length: MemoryLayout<T>.size, type: type)
    return true
  }

  /// Ends the token without running its deinit; only the producer's publish/abandon call this.
  @inlinable
  consuming func finish() { discard self }

  deinit {
    // A dropped reservation publishes nothing, so it is harmless, but it is a caller bug: say so in
    // debug builds. (Release builds compile this away.)
    assertionFailure("ION reservation dropped without publish or abandon")
  }
}
