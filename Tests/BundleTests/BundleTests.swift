// The cell-image bundle: round trip, and a reader that refuses every kind of damage by name.

import CellBundle
import TestSupport
import XCTest

final class BundleTests: XCTestCase {
  /// Writes `names`/`images` with BundleWriter into a buffer of `capacity` bytes (default: exact).
  func write(_ names: [[UInt8]], _ images: [[UInt8]], capacity: Int? = nil) throws -> [UInt8] {
    let total = images.map(\.count).withUnsafeBufferPointer { BundleWriter.size(imageSizes: $0) }
    var out = [UInt8](repeating: 0xEE, count: capacity ?? total)
    let nameBufs = names.map { UnsafeRawBufferPointer(UnsafeMutableRawBufferPointer.allocate(byteCount: $0.count, alignment: 1)) }
    let imageBufs = images.map { UnsafeRawBufferPointer(UnsafeMutableRawBufferPointer.allocate(byteCount: $0.count, alignment: 1)) }
    defer { (nameBufs + imageBufs).forEach { $0.deallocate() } }
    for (b, n) in zip(nameBufs, names) { UnsafeMutableRawBufferPointer(mutating: b).copyBytes(from: n) }
    for (b, n) in zip(imageBufs, images) { UnsafeMutableRawBufferPointer(mutating: b).copyBytes(from: n) }
    let written = try nameBufs.withUnsafeBufferPointer { n in
      try imageBufs.withUnsafeBufferPointer { i in
        try out.withUnsafeMutableBytes { try BundleWriter.write(names: n, images: i, into: $0) }
      }
    }
    XCTAssertEqual(written, total)
    return out
  }

  func makeBundle(_ entries: [(String, [UInt8])]) throws -> [UInt8] {
    try write(entries.map { Array($0.0.utf8) }, entries.map { $0.1 })
  }

  func read(_ bytes: [UInt8]) throws -> (count: Int, first: [UInt8], name: String) {
    try bytes.withUnsafeBytes { raw in
      let r = try BundleReader(raw)
      let e = try r.entry(0)
      return (r.count, Array(e.image), String(decoding: e.name, as: UTF8.self))
    }
  }

  func testRoundTripTwoImages() throws {
    let a = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let b: [UInt8] = [1, 2, 3]
    let bundle = try makeBundle([("hello", a), ("kv", b)])
    XCTAssertEqual(bundle.count % 4096, 0)
    XCTAssertEqual(Array(bundle[0..<4]), [0x52, 0x4B, 0x56, 0x42])  // "RKVB"
    let got = try read(bundle)
    XCTAssertEqual(got.count, 2)
    XCTAssertEqual(got.first, a)
    XCTAssertEqual(got.name, "hello")
    try bundle.withUnsafeBytes { raw in
      let r = try BundleReader(raw)
      let kv = try Array("kv".utf8).withUnsafeBytes { try r.entry(named: $0) }
      XCTAssertEqual(Array(kv.image), b)
      XCTAssertTrue(kv.named("kv"))
      XCTAssertThrowsError(try Array("nope".utf8).withUnsafeBytes { try r.entry(named: $0) })
    }
  }

  func testChecksumMatchesZlibCRC32() {
    let s = Array("123456789".utf8)
    XCTAssertEqual(s.withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
  }

  func expect(_ bytes: [UInt8], _ error: BundleError, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try read(bytes), file: file, line: line) { XCTAssertEqual($0 as? BundleError, error, file: file, line: line) }
  }

  func testDamageIsRefusedByName() throws {
    let good = try makeBundle([("hello", Array(repeating: 0x5A, count: 100))])
    expect(Array(good[0..<10]), .truncated)
    var bad = good; bad[0] = 0; expect(bad, .badMagic)
    bad = good; bad[4] = 2; expect(bad, .unsupportedVersion)
    bad = good; bad[0x10] = 0xFF; bad[0x11] = 0xFF; expect(bad, .truncated)  // total size beyond data
    bad = good; bad[64] = UInt8(ascii: "j"); expect(bad, .headerChecksum)       // renamed without new CRC
    bad = good; bad[4096] ^= 1; expect(bad, .imageChecksum)                      // one flipped image bit
    bad = good; bad[8] = 0; expect(bad, .badHeader)                              // zero entries
    expect(Array(good[0..<(good.count - 4096)]), .truncated)
  }

  func testEntryOutsideTheBundleIsRefused() throws {
    var bad = try makeBundle([("hello", [1, 2, 3])])
    bad[64 + 0x28] = 0xFF; bad[64 + 0x2F] = 0x7F   // huge size
    // Recompute the header CRC so only the bounds check can catch it.
    var crc = CRC32()
    bad.withUnsafeBytes { raw in
      crc.update(UnsafeRawBufferPointer(rebasing: raw[0..<0x18]))
      crc.updateZeros(4)
      crc.update(UnsafeRawBufferPointer(rebasing: raw[0x1C..<128]))
    }
    for i in 0..<4 { bad[0x18 + i] = UInt8(truncatingIfNeeded: crc.value >> (8 * UInt32(i))) }
    expect(bad, .entryOutOfBounds)
  }

  /// Bytes of the header and directory changed at random (a seeded generator, so a failure repeats):
  /// the reader never traps, and what it accepts stays inside the bundle — every entry's name and
  /// image lie within the bytes read, and an image it hands out is one whose checksum matched, so
  /// an accepted entry is either an untouched original or refused. Most mutants are refused.
  func testRandomCorruptionIsRefusedOrStaysInBounds() throws {
    let a = [UInt8](repeating: 1, count: 300), b = [UInt8](repeating: 2, count: 9000)
    let good = try makeBundle([("a", a), ("b", b)])
    var rng = SplitMix64(seed: 0x5EED_B0B1)
    var refused = 0
    for _ in 0..<2000 {
      var bytes = good
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        bytes[Int.random(in: 0..<256, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
      }
      bytes.withUnsafeBytes { raw in
        guard let reader = try? BundleReader(raw) else { refused += 1; return }
        let bounds = UInt(bitPattern: raw.baseAddress!)..<(UInt(bitPattern: raw.baseAddress!) + UInt(raw.count))
        func inside(_ slice: UnsafeRawBufferPointer) -> Bool {
          slice.count == 0 || (bounds.contains(UInt(bitPattern: slice.baseAddress!))
                               && UInt(bitPattern: slice.baseAddress!) + UInt(slice.count) <= bounds.upperBound)
        }
        for i in 0..<reader.count {
          guard let entry = try? reader.entry(i) else { continue }
          XCTAssertTrue(inside(entry.name) && inside(entry.image), "entry \(i) points outside the bundle")
          XCTAssertTrue(Array(entry.image) == a || Array(entry.image) == b, "entry \(i) accepted with changed bytes")
        }
      }
    }
    XCTAssertGreaterThan(refused, 1000, "most header corruptions must be refused")
  }

  func testWriterRefusesBadNamesAndSmallBuffers() {
    for name in ["", "has space", String(repeating: "x", count: 32)] {
      XCTAssertThrowsError(try write([Array(name.utf8)], [[1]], capacity: 8192), name) {
        XCTAssertEqual($0 as? BundleError, .badName)
      }
    }
    XCTAssertThrowsError(try write([Array("ok".utf8)], [[1]], capacity: 4096)) {
      XCTAssertEqual($0 as? BundleError, .noSpace)
    }
  }
}
