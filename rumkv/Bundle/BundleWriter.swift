// Writing a bundle into a caller's buffer (rumpkctl on the host; usable anywhere, no heap).

public struct BundleWriter {
  /// Bytes a bundle of images with these sizes needs.
  public static func size(imageSizes: UnsafeBufferPointer<Int>) -> Int {
    var total = align(BundleLayout.headerSize + imageSizes.count * BundleLayout.entrySize)
    for s in imageSizes { total = align(total + s) }
    return total
  }

  /// Writes header, entries and images. `names[i]` names `images[i]`; a name is 1...31 bytes of
  /// printable ASCII. Throws .noSpace when `out` is smaller than `size(imageSizes:)`.
  public static func write(names: UnsafeBufferPointer<UnsafeRawBufferPointer>,
                           images: UnsafeBufferPointer<UnsafeRawBufferPointer>,
                           into out: UnsafeMutableRawBufferPointer) throws(BundleError) -> Int {
    let n = names.count
    guard n == images.count, n >= 1, n <= BundleLayout.maxEntries else { throw .badHeader }
    for name in names {
      guard name.count >= 1, name.count < BundleLayout.nameCapacity else { throw .badName }
      for i in 0..<name.count where name[i] < 0x21 || name[i] > 0x7E { throw .badName }
    }
    let tableEnd = BundleLayout.headerSize + n * BundleLayout.entrySize
    var offset = align(tableEnd)
    var total = offset
    for image in images { total = align(total + image.count) }
    guard out.count >= total else { throw .noSpace }
    out.initializeMemory(as: UInt8.self, repeating: 0)

    put32(out, BundleLayout.magicOffset, BundleLayout.magic)
    put16(out, BundleLayout.versionOffset, BundleLayout.version)
    put16(out, BundleLayout.headerSizeOffset, UInt16(BundleLayout.headerSize))
    put32(out, BundleLayout.entryCountOffset, UInt32(n))
    put32(out, BundleLayout.entrySizeOffset, UInt32(BundleLayout.entrySize))
    put64(out, BundleLayout.totalSizeOffset, UInt64(total))
    for i in 0..<n {
      let e = BundleLayout.headerSize + i * BundleLayout.entrySize
      for j in 0..<names[i].count { out[e + j] = names[i][j] }
      put64(out, e + BundleLayout.entryImageOffset, UInt64(offset))
      put64(out, e + BundleLayout.entryImageSizeOffset, UInt64(images[i].count))
      put32(out, e + BundleLayout.entryCRCOffset, CRC32.checksum(images[i]))
      put32(out, e + BundleLayout.entryKindOffset, BundleEntryKind.cellImage.rawValue)
      UnsafeMutableRawBufferPointer(rebasing: out[offset..<(offset + images[i].count)]).copyMemory(from: images[i])
      offset = align(offset + images[i].count)
    }
    var crc = CRC32()
    crc.update(UnsafeRawBufferPointer(rebasing: out[0..<tableEnd]))
    put32(out, BundleLayout.headerCRCOffset, crc.value)
    return total
  }

  static func align(_ v: Int) -> Int { (v + BundleLayout.imageAlignment - 1) & ~(BundleLayout.imageAlignment - 1) }
}

@inline(__always) func put16(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt16) {
  b[o] = UInt8(truncatingIfNeeded: v); b[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
}
@inline(__always) func put32(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt32) {
  for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
}
@inline(__always) func put64(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt64) {
  for i in 0..<8 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
}
