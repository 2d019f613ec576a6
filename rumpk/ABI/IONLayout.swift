// The ION ring (DESIGN §3.3): a 128-byte header and a power-of-two array of fixed-size slots in memory
// shared by one producer and one consumer (threads, cores or cells). Layout is by explicit offsets,
// never by Swift struct layout, so the bytes are the contract and tests can assert every field. All
// multi-byte fields are little-endian.
//
//   0x00  4  magic 0x314E4F49 ("ION1")
//   0x04  4  slot size in bytes (multiple of 8, >= 16)
//   0x08  4  slot count (power of two)
//   0x0C  4  flags
//   0x10  8  channel id
//   0x18  8  head: producer sequence (next to publish), written by the producer only
//   0x20 32  reserved
//   0x40  8  tail: consumer sequence (next to consume), written by the consumer only, own cache line
//   0x48 56  reserved
//   0x80  …  slots; sequence s lives in slot s mod count; slot = u32 length, u32 type, payload

public enum IONLayout {
  public static let magic: UInt32 = 0x314E_4F49  // bytes "ION1"

  public static let magicOffset = 0x00
  public static let slotSizeOffset = 0x04
  public static let slotCountOffset = 0x08
  public static let flagsOffset = 0x0C
  public static let channelOffset = 0x10
  public static let headOffset = 0x18
  public static let reserved0Offset = 0x20
  public static let reserved0Size = 32
  public static let tailOffset = 0x40
  public static let reserved1Offset = 0x48
  public static let reserved1Size = 56
  public static let slotsOffset = 0x80
  /// The header is everything before the slots.
  public static let headerSize = 0x80
  /// Head and tail each sit at the start of their own 64-byte cache line.
  public static let cacheLineSize = 64

  // One slot: u32 length, u32 type, then the payload (slot size - 8 bytes at most).
  public static let slotLengthOffset = 0
  public static let slotTypeOffset = 4
  public static let slotPayloadOffset = 8
  public static let slotHeaderSize = 8

  /// Slot sizes are multiples of this and at least `minSlotSize`.
  public static let slotSizeAlignment = 8
  public static let minSlotSize = 16
  /// Cursors are u64 and the header is read with u64 atomics: the ring base must be this aligned.
  public static let baseAlignment = 8

  /// Largest payload a slot of `slotSize` bytes carries.
  public static func maxPayload(slotSize: Int) -> Int { slotSize - slotHeaderSize }

  /// Bytes a ring of this geometry occupies (header + slots), or nil when that overflows `Int`.
  /// Does not check the geometry rules; see `isValidGeometry`.
  public static func byteCount(slotSize: Int, slotCount: Int) -> Int? {
    guard slotSize >= 0, slotCount >= 0 else { return nil }
    let (slots, o1) = slotSize.multipliedReportingOverflow(by: slotCount)
    let (total, o2) = slots.addingReportingOverflow(headerSize)
    return o1 || o2 ? nil : total
  }

  /// True when slot size and count follow §3.3 and fit their u32 header fields: slot size a multiple
  /// of 8 and >= 16, slot count a power of two.
  public static func isValidGeometry(slotSize: Int, slotCount: Int) -> Bool {
    slotSize >= minSlotSize && slotSize % slotSizeAlignment == 0 && slotSize <= Int(UInt32.max)
      && slotCount > 0 && slotCount & (slotCount - 1) == 0 && slotCount <= Int(UInt32.max)
  }
}
