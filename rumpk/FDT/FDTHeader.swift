// The FDT header (devicetree specification v0.4, section 5.2) and its validation: every block it
// names is checked to lie inside totalsize, and totalsize inside the buffer.

public struct FDTHeader {
  public static let magic: UInt32 = 0xD00D_FEED
  /// Size of a version 17 header; version 16 headers lack size_dt_struct and are 36 bytes.
  public static let size = 40
  public static let version: UInt32 = 17
  public static let lastCompatibleVersion: UInt32 = 16

  public let totalSize: UInt32
  public let structOffset: UInt32
  public let stringsOffset: UInt32
  public let reservationOffset: UInt32
  public let version: UInt32
  public let lastCompatibleVersion: UInt32
  public let bootCPUID: UInt32
  public let stringsSize: UInt32
  /// size_dt_struct; for a version 16 blob, the bytes from off_dt_struct to totalsize.
  public let structSize: UInt32

  let structRange: Range<Int>
  let stringsRange: Range<Int>
  /// The reservation entries, without the terminating (0, 0) entry.
  let reservationRange: Range<Int>

  /// Reads and validates the header at the start of `blob`. Guarantees on success: totalsize ≤
  /// blob.count, and structRange, stringsRange and reservationRange lie inside [0, totalsize), the
  /// structure block 4-aligned and the reservation block 8-aligned and terminated.
  public init(validating blob: UnsafeRawBufferPointer) throws(FDTError) {
    guard blob.count >= 4 else { throw .truncated }
    guard loadBE32(blob, 0) == FDTHeader.magic else { throw .badMagic }
    guard blob.count >= FDTHeader.size else { throw .truncated }
    totalSize = loadBE32(blob, 4)
    structOffset = loadBE32(blob, 8)
    stringsOffset = loadBE32(blob, 12)
    reservationOffset = loadBE32(blob, 16)
    version = loadBE32(blob, 20)
    lastCompatibleVersion = loadBE32(blob, 24)
    bootCPUID = loadBE32(blob, 28)
    stringsSize = loadBE32(blob, 32)
    guard version >= 16, lastCompatibleVersion <= 17 else { throw .badVersion }
    let headerSize = version >= 17 ? FDTHeader.size : 36

    let total = try FDTHeader.int(totalSize)
    guard total <= blob.count else { throw .truncated }
    guard total >= FDTHeader.size else { throw .badOffset }

    let structStart = try FDTHeader.int(structOffset)
    guard structStart >= headerSize, structStart & 3 == 0, structStart <= total else { throw .badOffset }
    if version >= 17 {
      structSize = loadBE32(blob, 36)
    } else {
      structSize = UInt32(truncatingIfNeeded: total - structStart)
    }
    let structCount = try FDTHeader.int(structSize)
    guard fits(structStart, structCount, in: total) else { throw .badOffset }
    structRange = structStart..<(structStart + structCount)

    let stringsStart = try FDTHeader.int(stringsOffset)
    let stringsCount = try FDTHeader.int(stringsSize)
    guard stringsStart >= headerSize, fits(stringsStart, stringsCount, in: total) else { throw .badOffset }
    stringsRange = stringsStart..<(stringsStart + stringsCount)

    let reservationStart = try FDTHeader.int(reservationOffset)
    guard reservationStart >= headerSize, reservationStart & 7 == 0, reservationStart <= total else {
      throw .badOffset
    }
    var entry = reservationStart
    while true {
      guard fits(entry, 16, in: total) else { throw .truncated }
      if loadBE32(blob, entry) | loadBE32(blob, entry + 4) | loadBE32(blob, entry + 8) | loadBE32(blob, entry + 12) == 0 {
        break
      }
      entry += 16
    }
    reservationRange = reservationStart..<entry
  }

  static func int(_ v: UInt32) throws(FDTError) -> Int {
    guard let i = Int(exactly: v) else { throw .badOffset }
    return i
  }
}
