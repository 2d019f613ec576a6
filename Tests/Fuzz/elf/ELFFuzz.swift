// libFuzzer target: Rumkv's ELF loader (rumkv/Core/ELFLoader.swift) loading any bytes as an aarch64
// cell image into a fake guest window of a fixed size. Checked promises: a refused image leaves the
// window untouched; an accepted one has its entry point inside the window, never touches the
// reserved cell-tree area, and loads byte for byte as its LoadableImage compact form does.

import CellBundle
import Glibc
import RumkvCore

/// The fake window: 8 MiB at 0x4000_0000, like a cell's (the real images link at 0x4020_0000), its
/// first 64 KiB reserved for the cell tree. Two of them, for the full image and its compact form.
nonisolated(unsafe) let window = PhysicalRange(base: 0x4000_0000, size: 8 << 20)!
nonisolated(unsafe) let reserved = PhysicalRange(base: window.base, size: CellTree.reservedSize)!
let untouched: UInt8 = 0xA5
nonisolated(unsafe) let full = makeWindow()
nonisolated(unsafe) let compacted = makeWindow()

/// An 8 MiB buffer filled with `untouched`, standing for the window.
func makeWindow() -> UnsafeMutableRawBufferPointer {
  let b = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(window.size), alignment: 4096)
  b.initializeMemory(as: UInt8.self, repeating: untouched)
  return b
}

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0 with both windows filled with `untouched` again; traps only when the
/// loader breaks one of its documented promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzELF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let image = UnsafeRawBufferPointer(start: data, count: size)
  let ranges = segmentRanges(image)
  defer { for r in ranges { fill(full, r); fill(compacted, r) } }
  var cell = Cell()
  cell.window = window
  let entry: UInt64
  do throws(Refusal) {
    entry = try ELFLoader.load(image, into: GuestMemory(window: window, host: full.baseAddress!),
                               machine: ELFLoader.machineAArch64, reserved: reserved, cell: cell)
  } catch {
    for r in ranges where !isUntouched(full, r) { fatalError("a refused image wrote into the window") }
    return 0
  }
  guard window.contains(address: entry, length: 1) else { fatalError("entry point outside the window") }
  if !isUntouched(full, reserved) { fatalError("a segment wrote into the reserved cell-tree area") }
  guard let compactSize = LoadableImage.compactSize(of: image) else { return 0 }
  let compact = UnsafeMutableRawBufferPointer.allocate(byteCount: compactSize, alignment: 16)
  defer { compact.deallocate() }
  guard LoadableImage.compact(image, into: compact) == compactSize else { fatalError("compact failed after compactSize") }
  let again: UInt64
  do throws(Refusal) {
    again = try ELFLoader.load(UnsafeRawBufferPointer(compact), into: GuestMemory(window: window, host: compacted.baseAddress!),
                               machine: ELFLoader.machineAArch64, reserved: reserved, cell: cell)
  } catch {
    fatalError("the compact form of an accepted image is refused")
  }
  guard again == entry else { fatalError("the compact form has another entry point") }
  for r in ranges where memcmp(full.baseAddress! + offsets(r).lowerBound, compacted.baseAddress! + offsets(r).lowerBound, Int(r.size)) != 0 {
    fatalError("the compact form loads other bytes in \(r)")
  }
  return 0
}

/// The window ranges the image's PT_LOAD headers name, clipped to the window, read leniently (any
/// 56-byte entry of the table that lies in the file): a superset of what the loader may write.
func segmentRanges(_ b: UnsafeRawBufferPointer) -> [PhysicalRange] {
  guard b.count >= 64 else { return [] }
  let phoff = le64(b, 32), phnum = min(Int(le16(b, 56)), 64)
  var ranges: [PhysicalRange] = []
  for i in 0..<phnum {
    let h = phoff &+ UInt64(i * 56)
    guard h < UInt64(b.count), UInt64(b.count) - h >= 56, le32(b, Int(h)) == 1 else { continue }
    let address = le64(b, Int(h) + 24), size = le64(b, Int(h) + 40)
    let start = max(address, window.base)
    let end = address.addingReportingOverflow(size).overflow ? window.end : min(address + size, window.end)
    if start < end { ranges.append(PhysicalRange(base: start, size: end - start)!) }
  }
  return ranges
}

/// Buffer offsets of a window range.
func offsets(_ r: PhysicalRange) -> Range<Int> { Int(r.base - window.base)..<Int(r.end - window.base) }

/// The window as it is before a load, to compare with and to restore from (memcmp and memcpy: the
/// harness's own byte loops would be instrumented and cost more than the loader).
nonisolated(unsafe) let pristine = makeWindow()

func fill(_ w: UnsafeMutableRawBufferPointer, _ r: PhysicalRange) {
  memcpy(w.baseAddress! + offsets(r).lowerBound, pristine.baseAddress! + offsets(r).lowerBound, Int(r.size))
}

func isUntouched(_ w: UnsafeMutableRawBufferPointer, _ r: PhysicalRange) -> Bool {
  memcmp(w.baseAddress! + offsets(r).lowerBound, pristine.baseAddress! + offsets(r).lowerBound, Int(r.size)) == 0
}

func le16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
func le32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 { UInt32(le16(b, o)) | UInt32(le16(b, o + 2)) << 16 }
func le64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 { UInt64(le32(b, o)) | UInt64(le32(b, o + 4)) << 32 }
