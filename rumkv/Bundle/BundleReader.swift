// Reading a bundle that arrived from outside (the initrd): every field is checked before use, every
// offset against the bundle's real length, every image against its checksum. Never traps.

public struct BundleEntry {
  public var name: UnsafeRawBufferPointer   // without NUL padding
  public var image: UnsafeRawBufferPointer
  public var kind: UInt32

  /// True when the entry's name is exactly `other`.
  public func named(_ other: StaticString) -> Bool {
    bytesEqual(name, other)
  }

  public func named(_ other: UnsafeRawBufferPointer) -> Bool {
    guard other.count == name.count else { return false }
    for i in 0..<name.count where name[i] != other[i] { return false }
    return true
  }
}

public struct BundleReader {
  public let bytes: UnsafeRawBufferPointer
  public let count: Int

  /// Validates header, entry table and their checksum. Images are checked on lookup.
  /// Assumes nothing about `bytes`; guarantees that every entry lies inside it.
  public init(_ bytes: UnsafeRawBufferPointer) throws(BundleError) {
    guard bytes.count >= BundleLayout.headerSize else { throw .truncated }
    guard le32(bytes, BundleLayout.magicOffset) == BundleLayout.magic else { throw .badMagic }
    guard le16(bytes, BundleLayout.versionOffset) == BundleLayout.version else { throw .unsupportedVersion }
    guard Int(le16(bytes, BundleLayout.headerSizeOffset)) == BundleLayout.headerSize,
          Int(le32(bytes, BundleLayout.entrySizeOffset)) == BundleLayout.entrySize else { throw .badHeader }
    let n = Int(le32(bytes, BundleLayout.entryCountOffset))
    guard n >= 1, n <= BundleLayout.maxEntries else { throw .badHeader }
    let total = le64(bytes, BundleLayout.totalSizeOffset)
    guard total <= UInt64(bytes.count) else { throw .truncated }
    let tableEnd = BundleLayout.headerSize + n * BundleLayout.entrySize
    guard tableEnd <= Int(total) else { throw .truncated }
    let view = UnsafeRawBufferPointer(rebasing: bytes[0..<Int(total)])

    var crc = CRC32()
    crc.update(UnsafeRawBufferPointer(rebasing: view[0..<BundleLayout.headerCRCOffset]))
    crc.updateZeros(4)
    crc.update(UnsafeRawBufferPointer(rebasing: view[(BundleLayout.headerCRCOffset + 4)..<tableEnd]))
    guard crc.value == le32(view, BundleLayout.headerCRCOffset) else { throw .headerChecksum }

    for i in 0..<n {
      let e = BundleLayout.headerSize + i * BundleLayout.entrySize
      let offset = le64(view, e + BundleLayout.entryImageOffset)
      let size = le64(view, e + BundleLayout.entryImageSizeOffset)
      let (end, overflow) = offset.addingReportingOverflow(size)
      guard !overflow, offset >= UInt64(tableEnd), end <= total else { throw .entryOutOfBounds }
      guard nameLength(view, e) > 0 else { throw .badName }
    }
    self.bytes = view
    self.count = n
  }

  /// Entry `index` (0 ..< count), with its image's checksum verified.
  public func entry(_ index: Int) throws(BundleError) -> BundleEntry {
    guard index >= 0, index < count else { throw .notFound }
    let e = BundleLayout.headerSize + index * BundleLayout.entrySize
    let offset = Int(le64(bytes, e + BundleLayout.entryImageOffset))
    let size = Int(le64(bytes, e + BundleLayout.entryImageSizeOffset))
    let image = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])
    guard CRC32.checksum(image) == le32(bytes, e + BundleLayout.entryCRCOffset) else { throw .imageChecksum }
    return BundleEntry(
      name: UnsafeRawBufferPointer(rebasing: bytes[e..<(e + nameLength(bytes, e))]),
      image: image,
      kind: le32(bytes, e + BundleLayout.entryKindOffset))
  }

  /// The entry named `name`, checksum verified.
  public func entry(named name: UnsafeRawBufferPointer) throws(BundleError) -> BundleEntry {
    for i in 0..<count {
      let e = BundleLayout.headerSize + i * BundleLayout.entrySize
      let candidate = UnsafeRawBufferPointer(rebasing: bytes[e..<(e + nameLength(bytes, e))])
      if BundleEntry(name: candidate, image: UnsafeRawBufferPointer(start: nil, count: 0), kind: 0).named(name) {
        return try entry(i)
      }
    }
    throw .notFound
  }
}

/// Length of the NUL-padded name at entry offset `e`; 0 when it has no terminator within capacity
/// (a full 32-byte name must still end in NUL) or contains bytes outside printable ASCII.
func nameLength(_ b: UnsafeRawBufferPointer, _ e: Int) -> Int {
  for i in 0..<BundleLayout.nameCapacity {
    let c = b[e + i]
    if c == 0 { return i }
    if c < 0x21 || c > 0x7E { return 0 }
  }
  return 0
}

func bytesEqual(_ a: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
  guard a.count == s.utf8CodeUnitCount else { return false }
  for i in 0..<a.count where a[i] != s.utf8Start[i] { return false }
  return true
}

@inline(__always) func le16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { LittleEndian.u16(b, o) }
@inline(__always) func le32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 { LittleEndian.u32(b, o) }
@inline(__always) func le64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 { LittleEndian.u64(b, o) }
