// The cell-image bundle (version 1) that rumpkctl writes and Rumkv reads from the initrd: a header,
// a table of entries, then 4 KiB-aligned images. Little-endian. Each image carries its own CRC-32,
// and the header's CRC-32 covers the header and the entry table. Documented in
// docs/decisions/A2-cell-bundle.md.

public enum BundleLayout {
  public static let magic: UInt32 = 0x4256_4B52  // "RKVB"
  public static let version: UInt16 = 1
  public static let headerSize = 64
  public static let entrySize = 64
  public static let nameCapacity = 32
  public static let imageAlignment = 4096
  public static let maxEntries = 64

  // Header fields.
  public static let magicOffset = 0x00
  public static let versionOffset = 0x04
  public static let headerSizeOffset = 0x06
  public static let entryCountOffset = 0x08
  public static let entrySizeOffset = 0x0C
  public static let totalSizeOffset = 0x10
  public static let headerCRCOffset = 0x18

  // Entry fields.
  public static let entryNameOffset = 0x00
  public static let entryImageOffset = 0x20
  public static let entryImageSizeOffset = 0x28
  public static let entryCRCOffset = 0x30
  public static let entryKindOffset = 0x34
}

/// What an entry holds.
public enum BundleEntryKind: UInt32, Sendable {
  case cellImage = 1  // an ELF cell image, loaded by program headers into the cell's window
}

public enum BundleError: Error, Equatable, Sendable {
  case truncated
  case badMagic
  case unsupportedVersion
  case badHeader
  case headerChecksum
  case entryOutOfBounds
  case badName
  case imageChecksum
  case notFound
  case noSpace
}
