// Formatting an ION ring (DESIGN §3.3) in caller-provided shared memory, and reading its geometry
// back. The producer and consumer views (IONProducer, IONConsumer) attach to a formatted ring.

import RumpkABI
import RumpkPlatform

/// The shape of a ring: slot size and count. A view reads it once at attach and from then on trusts
/// only its private copy, so a peer that rewrites the header cannot make it read or write out of bounds.
public struct IONGeometry: Equatable, Sendable {
  public let slotSize: Int
  public let slotCount: Int

  public init(slotSize: Int, slotCount: Int) {
    self.slotSize = slotSize
    self.slotCount = slotCount
  }

  /// Largest payload one slot carries (slot size - 8).
  public var maxPayload: Int { slotSize - IONLayout.slotHeaderSize }
  /// Header plus slots, in bytes.
  public var byteCount: Int { IONLayout.headerSize + slotSize * slotCount }
}

public enum IONRing {
  /// Bytes needed for a ring of this geometry, or nil when the geometry breaks §3.3 (slot size a
  /// multiple of 8 and >= 16, count a power of two) or its size overflows.
  public static func byteCount(slotSize: Int, slotCount: Int) -> Int? {
    guard IONLayout.isValidGeometry(slotSize: slotSize, slotCount: slotCount) else { return nil }
    return IONLayout.byteCount(slotSize: slotSize, slotCount: slotCount)
  }

  /// Writes an empty ring into `memory`: header fields, head = tail = `initialSequence`, zeroed slots.
  /// Assumes: no view is attached to `memory` while it is formatted. `initialSequence` exists so tests
  /// can start the cursors anywhere (e.g. near UInt64.max); normal rings start at 0.
  /// Guarantees: on success the magic is written last, with release order, so a peer that sees "ION1"
  /// sees the whole header; on failure nothing is written.
  @discardableResult
  public static func format(
    at memory: UnsafeMutableRawBufferPointer, slotSize: Int, slotCount: Int, channel: UInt64,
    flags: UInt32 = 0, initialSequence: UInt64 = 0
  ) throws(IONSetupError) -> IONGeometry {
    guard slotSize >= IONLayout.minSlotSize, slotSize % IONLayout.slotSizeAlignment == 0,
      slotSize <= Int(UInt32.max)
    else { throw .badSlotSize }
    guard slotCount > 0, slotCount & (slotCount - 1) == 0, slotCount <= Int(UInt32.max) else {
      throw .badSlotCount
    }
    guard let base = memory.baseAddress else { throw .tooSmall }
    guard UInt(bitPattern: base) % UInt(IONLayout.baseAlignment) == 0 else { throw .misaligned }
    guard let total = IONLayout.byteCount(slotSize: slotSize, slotCount: slotCount), total <= memory.count
    else { throw .tooSmall }

    base.initializeMemory(as: UInt8.self, repeating: 0, count: total)
    base.storeBytes(of: UInt32(slotSize).littleEndian, toByteOffset: IONLayout.slotSizeOffset, as: UInt32.self)
    base.storeBytes(of: UInt32(slotCount).littleEndian, toByteOffset: IONLayout.slotCountOffset, as: UInt32.self)
    base.storeBytes(of: flags.littleEndian, toByteOffset: IONLayout.flagsOffset, as: UInt32.self)
    base.storeBytes(of: channel.littleEndian, toByteOffset: IONLayout.channelOffset, as: UInt64.self)
    rumpk_store_release_u64(pointer(base, IONLayout.headOffset), initialSequence.littleEndian)
    rumpk_store_release_u64(pointer(base, IONLayout.tailOffset), initialSequence.littleEndian)
    rumpk_store_release_u32(
      (base + IONLayout.magicOffset).assumingMemoryBound(to: UInt32.self), IONLayout.magic.littleEndian)
    return IONGeometry(slotSize: slotSize, slotCount: slotCount)
  }

  /// Reads and checks the header of a formatted ring: alignment, magic, geometry rules, and that
  /// header + slots fit in `memory`. Assumes nothing about the bytes (they may come from a peer).
  public static func geometry(of memory: UnsafeRawBufferPointer) throws(IONSetupError) -> IONGeometry {
    guard let base = memory.baseAddress, memory.count >= IONLayout.headerSize else { throw .tooSmall }
    guard UInt(bitPattern: base) % UInt(IONLayout.baseAlignment) == 0 else { throw .misaligned }
    let magic = rumpk_load_acquire_u32((base + IONLayout.magicOffset).assumingMemoryBound(to: UInt32.self))
    guard UInt32(littleEndian: magic) == IONLayout.magic else { throw .badMagic }
    let slotSize = Int(UInt32(littleEndian: base.load(fromByteOffset: IONLayout.slotSizeOffset, as: UInt32.self)))
    let slotCount = Int(UInt32(littleEndian: base.load(fromByteOffset: IONLayout.slotCountOffset, as: UInt32.self)))
    guard slotSize >= IONLayout.minSlotSize, slotSize % IONLayout.slotSizeAlignment == 0 else { throw .badSlotSize }
    guard slotCount > 0, slotCount & (slotCount - 1) == 0 else { throw .badSlotCount }
    guard let total = IONLayout.byteCount(slotSize: slotSize, slotCount: slotCount), total <= memory.count
    else { throw .tooSmall }
    return IONGeometry(slotSize: slotSize, slotCount: slotCount)
  }

  /// The channel id written at format time.
  public static func channel(of memory: UnsafeRawBufferPointer) -> UInt64? {
    guard let base = memory.baseAddress, memory.count >= IONLayout.headerSize else { return nil }
    return UInt64(littleEndian: base.load(fromByteOffset: IONLayout.channelOffset, as: UInt64.self))
  }

  /// The header's flags word.
  public static func flags(of memory: UnsafeRawBufferPointer) -> UInt32? {
    guard let base = memory.baseAddress, memory.count >= IONLayout.headerSize else { return nil }
    return UInt32(littleEndian: base.load(fromByteOffset: IONLayout.flagsOffset, as: UInt32.self))
  }

  /// Writes a slot's header (u32 length, u32 type, little-endian) as one 8-byte store. Assumes `slot`
  /// is 8-byte aligned: the ring base is (format and attach check it) and slot sizes are multiples of 8.
  /// (Unaligned-capable stores become byte stores on targets built for strict alignment.)
  @usableFromInline @inline(__always)
  static func writeHeader(_ slot: UnsafeMutableRawPointer, length: Int, type: UInt32) {
    let word = UInt64(UInt32(truncatingIfNeeded: length)) | UInt64(type) << 32
    slot.initializeMemory(as: UInt64.self, to: word.littleEndian)
  }

  /// Writes `value` as a slot's payload (offset 8), with aligned stores when its alignment allows.
  @usableFromInline @inline(__always)
  static func writePayload<T: BitwiseCopyable>(_ slot: UnsafeMutableRawPointer, _ value: T) {
    if MemoryLayout<T>.alignment <= 8 {
      (slot + 8).initializeMemory(as: T.self, to: value)
    } else {
      slot.storeBytes(of: value, toByteOffset: 8, as: T.self)
    }
  }

  @usableFromInline
  static func pointer(_ base: UnsafeMutableRawPointer, _ offset: Int) -> UnsafeMutablePointer<UInt64> {
    (base + offset).assumingMemoryBound(to: UInt64.self)
  }

  /// What either side learns when it attaches: the checked geometry, the shared cursors' addresses
  /// and their values at attach time. Checks the header (`geometry(of:)`) and that
  /// head - tail <= slot count; writes nothing.
  static func attach(_ memory: UnsafeMutableRawBufferPointer) throws(IONSetupError) -> IONAttachment {
    let g = try geometry(of: UnsafeRawBufferPointer(memory))
    let base = memory.baseAddress!  // geometry(of:) checked it
    let headPointer = pointer(base, IONLayout.headOffset), tailPointer = pointer(base, IONLayout.tailOffset)
    let h = UInt64(littleEndian: rumpk_load_acquire_u64(headPointer))
    let t = UInt64(littleEndian: rumpk_load_acquire_u64(tailPointer))
    guard h &- t <= UInt64(g.slotCount) else { throw .cursorsOutOfRange }
    return IONAttachment(
      geometry: g, headPointer: headPointer, tailPointer: tailPointer,
      magicPointer: (base + IONLayout.magicOffset).assumingMemoryBound(to: UInt32.self),
      slots: base + IONLayout.slotsOffset, head: h, tail: t)
  }
}

/// The result of `IONRing.attach`, shared by producer and consumer.
struct IONAttachment {
  let geometry: IONGeometry
  let headPointer: UnsafeMutablePointer<UInt64>
  let tailPointer: UnsafeMutablePointer<UInt64>
  let magicPointer: UnsafeMutablePointer<UInt32>
  let slots: UnsafeMutableRawPointer
  let head: UInt64
  let tail: UInt64
}
