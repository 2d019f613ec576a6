// libFuzzer target: the cell-image bundle reader (rumkv/Bundle: BundleReader, and LoadableImage on
// every image it hands out). Each input is read twice: as it is, and with its header and image
// CRC-32s recomputed, so mutations get past the checksums to the fields behind them. Checked
// promises: every entry lies inside the bundle, lookup by name finds the entry of that name, a
// compacted image is as long as compactSize said, and a bundle rewritten from the entries reads
// back with the same names and images.

import CellBundle

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when the reader breaks one of its documented promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = UnsafeRawBufferPointer(start: data, count: size)
  readBundle(input)
  let repaired = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
  defer { repaired.deallocate() }
  repaired.copyMemory(from: input)
  repairChecksums(repaired)
  readBundle(UnsafeRawBufferPointer(repaired))
  return 0
}

/// Assumes nothing about `bytes`. Reads the bundle as Rumkv does and checks the reader's promises.
func readBundle(_ bytes: UnsafeRawBufferPointer) {
  let reader: BundleReader
  do throws(BundleError) {
    reader = try BundleReader(bytes)
  } catch {
    return
  }
  guard reader.count >= 1, reader.count <= BundleLayout.maxEntries, reader.bytes.count <= bytes.count else {
    fatalError("BundleReader accepted \(reader.count) entries in \(reader.bytes.count) of \(bytes.count) bytes")
  }
  var names: [UnsafeRawBufferPointer] = []
  var images: [UnsafeRawBufferPointer] = []
  for i in 0..<reader.count {
    guard let entry = try? reader.entry(i) else { continue }
    guard inside(entry.image, reader.bytes), inside(entry.name, reader.bytes),
          entry.name.count >= 1, entry.name.count < BundleLayout.nameCapacity else {
      fatalError("entry \(i) lies outside the bundle or has an empty name")
    }
    guard let found = try? reader.entry(named: entry.name), found.named(entry.name) else {
      fatalError("entry(named:) misses entry \(i), whose checksum is good")
    }
    compact(entry.image)
    names.append(entry.name)
    images.append(entry.image)
  }
  if !names.isEmpty { rewrite(names: names, images: images) }
}

/// True when `part` lies within `whole` (an empty part anywhere in or at the end of it).
func inside(_ part: UnsafeRawBufferPointer, _ whole: UnsafeRawBufferPointer) -> Bool {
  guard let p = part.baseAddress, let w = whole.baseAddress else { return part.count == 0 }
  return p >= w && p + part.count <= w + whole.count
}

/// Assumes nothing about `image`. Guarantees that compact(_:into:) writes exactly compactSize bytes
/// when compactSize accepts the image, and refuses a buffer one byte short.
func compact(_ image: UnsafeRawBufferPointer) {
  guard let size = LoadableImage.compactSize(of: image) else { return }
  guard size >= 64, size <= image.count else { fatalError("compactSize \(size) for an image of \(image.count) bytes") }
  let out = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
  defer { out.deallocate() }
  guard LoadableImage.compact(image, into: out) == size else { fatalError("compact wrote other than compactSize bytes") }
  if LoadableImage.compact(image, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<(size - 1)])) != nil {
    fatalError("compact wrote into a buffer shorter than compactSize")
  }
  guard LoadableImage.compactSize(of: UnsafeRawBufferPointer(out)) == size else {
    fatalError("the compact form of an image compacts to another size")
  }
}

/// Assumes the names and images came from a reader. Guarantees that BundleWriter writes them into a
/// bundle that reads back with the same entries in the same order.
func rewrite(names: [UnsafeRawBufferPointer], images: [UnsafeRawBufferPointer]) {
  let total = images.map(\.count).withUnsafeBufferPointer { BundleWriter.size(imageSizes: $0) }
  let out = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
  defer { out.deallocate() }
  let written: Int
  do throws(BundleError) {
    written = try names.withUnsafeBufferPointer { n throws(BundleError) in
      try images.withUnsafeBufferPointer { i throws(BundleError) in try BundleWriter.write(names: n, images: i, into: out) }
    }
  } catch {
    fatalError("BundleWriter refused entries a reader accepted: \(error)")
  }
  guard let again = try? BundleReader(UnsafeRawBufferPointer(rebasing: out[0..<written])), again.count == names.count else {
    fatalError("a rewritten bundle does not read back")
  }
  for i in 0..<names.count {
    guard let e = try? again.entry(i), e.named(names[i]), e.image.elementsEqual(images[i]) else {
      fatalError("entry \(i) of a rewritten bundle differs")
    }
  }
}

/// Assumes nothing about `b`. Recomputes the header CRC-32 (header and entry table) and each image's
/// CRC-32 wherever the fields they depend on lie inside `b`, as a bundle writer would have.
func repairChecksums(_ b: UnsafeMutableRawBufferPointer) {
  guard b.count >= BundleLayout.headerSize else { return }
  let view = UnsafeRawBufferPointer(b)
  let n = min(Int(le32(view, BundleLayout.entryCountOffset)), BundleLayout.maxEntries)
  let tableEnd = min(BundleLayout.headerSize + n * BundleLayout.entrySize, b.count)
  for i in 0..<n {
    let e = BundleLayout.headerSize + i * BundleLayout.entrySize
    guard e + BundleLayout.entrySize <= b.count else { break }
    let offset = le64(view, e + BundleLayout.entryImageOffset), size = le64(view, e + BundleLayout.entryImageSizeOffset)
    guard offset <= UInt64(b.count), size <= UInt64(b.count) - offset else { continue }
    let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: view[Int(offset)..<Int(offset + size)]))
    put32(b, e + BundleLayout.entryCRCOffset, crc)
  }
  var crc = CRC32()
  crc.update(UnsafeRawBufferPointer(rebasing: view[0..<BundleLayout.headerCRCOffset]))
  crc.updateZeros(4)
  if tableEnd > BundleLayout.headerCRCOffset + 4 {
    crc.update(UnsafeRawBufferPointer(rebasing: view[(BundleLayout.headerCRCOffset + 4)..<tableEnd]))
  }
  put32(b, BundleLayout.headerCRCOffset, crc.value)
}

func le32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
  UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
}

func le64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 { UInt64(le32(b, o)) | UInt64(le32(b, o + 4)) << 32 }

func put32(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt32) {
  for k in 0..<4 { b[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
}
