// Hostile blobs: every one must be rejected with an error or parse into a tree that can be walked
// completely; none may trap or hang.

import FDT
import Foundation
import TestSupport
import XCTest

final class MalformedTests: XCTestCase {
  func assertRejects(_ blob: [UInt8], _ expected: FDTError, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(parseError(blob), expected, file: file, line: line)
  }

  func testMinimalBuilderIsValid() {
    XCTAssertNil(parseError(RawBlob.minimal().build()))
  }

  func testEveryPrefixIsRejected() throws {
    for name in ["sample.dtb", "qemu-virt-riscv64.dtb", "qemu-virt-aarch64.dtb"] {
      let full = try Blobs.load(name)
      let total = Int(be32(full, 4))
      full.withUnsafeBytes { raw in
        for length in 0..<total {
          do throws(FDTError) {
            _ = try FDT(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
            XCTFail("\(name): prefix of \(length) bytes accepted")
            return
          } catch {
            if error != .truncated && error != .badMagic { XCTFail("\(name) \(length): \(error)") }
          }
        }
        XCTAssertNotNil(try? FDT(UnsafeRawBufferPointer(rebasing: raw[0..<total])))
      }
    }
  }

  func testEveryPrefixWithPatchedTotalSize() throws {
    for name in ["sample.dtb", "qemu-virt-aarch64.dtb"] {
      let blob = Blobs.compact(try Blobs.load(name))
      for length in 0...blob.count {
        var cut = Array(blob[0..<length])
        if length >= 8 { setBE32(&cut, 4, UInt32(length)) }
        let error = parseError(cut)
        if length == blob.count { XCTAssertNil(error) } else { XCTAssertNotNil(error, "\(name) \(length)") }
      }
    }
  }

  func testHeaderFields() throws {
    let good = try Blobs.load("sample.dtb")
    func patched(_ offset: Int, _ value: UInt32) -> [UInt8] {
      var b = good
      setBE32(&b, offset, value)
      return b
    }
    assertRejects(patched(0, 0xD00D_FEEE), .badMagic)
    assertRejects(patched(4, UInt32(good.count + 1)), .truncated)
    assertRejects(patched(4, 0xFFFF_FFFF), .truncated)
    assertRejects(patched(4, 12), .badOffset)
    assertRejects(patched(20, 15), .badVersion)
    assertRejects(patched(24, 18), .badVersion)
    assertRejects(patched(8, UInt32(good.count + 4)), .badOffset)
    assertRejects(patched(8, 0xFFFF_FFFC), .badOffset)
    assertRejects(patched(8, 58), .badOffset)
    assertRejects(patched(8, 0), .badOffset)
    assertRejects(patched(36, 0xFFFF_FFF0), .badOffset)
    assertRejects(patched(36, UInt32(good.count)), .badOffset)
    assertRejects(patched(12, 0xFFFF_FFFF), .badOffset)
    assertRejects(patched(32, 0xFFFF_FFF0), .badOffset)
    assertRejects(patched(16, 0xFFFF_FFF8), .badOffset)
    assertRejects(patched(16, 44), .badOffset)
    assertRejects(patched(16, UInt32((good.count - 8) & ~7)), .truncated)
    assertRejects(Array(good[0..<39]), .truncated)
    assertRejects([], .truncated)
    assertRejects([0xD0, 0x0D], .truncated)
    assertRejects([0, 0, 0, 0], .badMagic)
  }

  func testStructSizeTooShortLosesEnd() throws {
    var b = RawBlob.minimal().build()
    setBE32(&b, 36, be32(b, 36) - 4)
    assertRejects(b, .truncated)
  }

  func testStringOffsets() {
    var b = RawBlob()
    b.begin("")
    b.propRaw(length: 0, nameOffset: 1000, [])
    b.end()
    b.finish()
    _ = b.nameOffset("model")
    assertRejects(b.build(), .badString)

    var c = RawBlob()
    c.begin("")
    c.propRaw(length: 0, nameOffset: 0xFFFF_FFFF, [])
    c.end()
    c.finish()
    _ = c.nameOffset("a")
    assertRejects(c.build(), .badString)

    // A name whose NUL lies just past size_dt_strings.
    var d = RawBlob()
    d.begin("")
    d.prop("model", [])
    d.end()
    d.finish()
    var blob = d.build()
    setBE32(&blob, 32, be32(blob, 32) - 1)
    assertRejects(blob, .badString)

    // Offset equal to the strings size.
    var e = RawBlob()
    e.begin("")
    e.propRaw(length: 0, nameOffset: 2, [])
    e.end()
    e.finish()
    _ = e.nameOffset("a")
    assertRejects(e.build(), .badString)
  }

  func testPropertyNameLengthLimit() {
    func blob(nameLength: Int) -> [UInt8] {
      var b = RawBlob()
      b.begin("")
      b.prop(String(repeating: "p", count: nameLength), [1])
      b.end()
      b.finish()
      return b.build()
    }
    XCTAssertNil(parseError(blob(nameLength: FDT.maxPropertyNameLength)))
    assertRejects(blob(nameLength: FDT.maxPropertyNameLength + 1), .badString)

    // Many properties sharing one name: validation stays linear.
    var b = RawBlob()
    b.begin("")
    let name = b.nameOffset(String(repeating: "q", count: FDT.maxPropertyNameLength))
    for _ in 0..<20_000 { b.propRaw(length: 0, nameOffset: name, []) }
    b.end()
    b.finish()
    let start = Date()
    XCTAssertNoThrow(try withFDT(b.build()) { fdt in XCTAssertNil(fdt.property(fdt.root, "absent")) })
    XCTAssertLessThan(Date().timeIntervalSince(start), 2)
  }

  func testPropertyLengthPastBlock() {
    for length: UInt32 in [17, 64, 0x7FFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFC] {
      var b = RawBlob()
      b.begin("")
      let name = b.nameOffset("reg")
      b.propRaw(length: length, nameOffset: name, [1, 2, 3, 4])
      b.end()
      b.finish()
      assertRejects(b.build(), .truncated)
    }
  }

  func testMissingEndAndUnbalanced() {
    var noEnd = RawBlob()
    noEnd.begin("")
    noEnd.end()
    assertRejects(noEnd.build(), .truncated)

    var nopInsteadOfEnd = RawBlob()
    nopInsteadOfEnd.begin("")
    nopInsteadOfEnd.end()
    nopInsteadOfEnd.nop()
    nopInsteadOfEnd.nop()
    assertRejects(nopInsteadOfEnd.build(), .truncated)

    var unclosed = RawBlob()
    unclosed.begin("")
    unclosed.begin("a")
    unclosed.end()
    unclosed.finish()
    assertRejects(unclosed.build(), .badStructure)

    var extraEnd = RawBlob()
    extraEnd.begin("")
    extraEnd.end()
    extraEnd.end()
    extraEnd.finish()
    assertRejects(extraEnd.build(), .badStructure)

    var endFirst = RawBlob()
    endFirst.finish()
    assertRejects(endFirst.build(), .badStructure)

    var twoRoots = RawBlob()
    twoRoots.begin("")
    twoRoots.end()
    twoRoots.begin("")
    twoRoots.end()
    twoRoots.finish()
    assertRejects(twoRoots.build(), .badStructure)

    var propOutside = RawBlob()
    propOutside.prop("x", [])
    propOutside.begin("")
    propOutside.end()
    propOutside.finish()
    assertRejects(propOutside.build(), .badStructure)

    var propAfterChild = RawBlob()
    propAfterChild.begin("")
    propAfterChild.begin("a")
    propAfterChild.end()
    propAfterChild.prop("x", [])
    propAfterChild.end()
    propAfterChild.finish()
    assertRejects(propAfterChild.build(), .badStructure)

    var leadingNops = RawBlob()
    leadingNops.nop()
    leadingNops.begin("")
    leadingNops.nop()
    leadingNops.prop("x", [1])
    leadingNops.end()
    leadingNops.nop()
    leadingNops.finish()
    XCTAssertNil(parseError(leadingNops.build()))
  }

  func testBadTokensAndNames() {
    var unknown = RawBlob()
    unknown.begin("")
    unknown.u32(5)
    unknown.end()
    unknown.finish()
    assertRejects(unknown.build(), .badToken)

    var unterminated = RawBlob()
    unterminated.u32(1)
    unterminated.structure += Array("abcdefgh".utf8)
    assertRejects(unterminated.build(), .badString)

    // A 5-byte value: the reader skips the 3 padding bytes whatever they hold.
    var b = RawBlob()
    b.begin("")
    let name = b.nameOffset("x")
    b.u32(3)
    b.u32(5)
    b.u32(name)
    b.structure += [1, 2, 3, 4, 5, 0, 0, 0]
    b.u32(2)
    b.finish()
    let blob = b.build()
    XCTAssertNil(parseError(blob))
    var dirty = blob
    dirty[56 + 8 + 12 + 5] = 2
    XCTAssertNil(parseError(dirty))
  }

  func testUnalignedTokenRejected() throws {
    // A handle at an unaligned offset is treated as absent; a header with an unaligned struct
    // offset is rejected.
    try withFDT(RawBlob.minimal().build()) { fdt in
      XCTAssertEqual(fdt.name(of: FDTNode(offset: fdt.root.offset + 1)).count, 0)
      XCTAssertNil(fdt.property(FDTNode(offset: 2), "model"))
    }
    var b = RawBlob.minimal().build()
    setBE32(&b, 8, 57)
    assertRejects(b, .badOffset)
  }

  func testDepthLimit() {
    func nested(_ depth: Int) -> [UInt8] {
      var b = RawBlob()
      b.begin("")
      for _ in 1..<depth { b.begin("n") }
      for _ in 0..<depth { b.end() }
      b.finish()
      return b.build()
    }
    XCTAssertNil(parseError(nested(FDT.maxDepth)))
    assertRejects(nested(FDT.maxDepth + 1), .tooDeep)
    assertRejects(nested(10_000), .tooDeep)
  }

  func testReservationWithoutTerminator() {
    var b = RawBlob.minimal().build()
    // Point the reservation block at the last 16 bytes, which are not all zero.
    let off = (b.count - 16) & ~7
    setBE32(&b, 16, UInt32(off))
    b[b.count - 1] = 0xFF
    XCTAssertNotNil(parseError(b))
  }

  func testRandomMutations() throws {
    var rng = SplitMix64(seed: 0x5EED_F00D)
    let seeds = [
      try Blobs.load("sample.dtb"),
      Blobs.compact(try Blobs.load("qemu-virt-aarch64.dtb")),
      Blobs.compact(try Blobs.load("qemu-virt-riscv64.dtb")),
      RawBlob.minimal().build(),
    ]
    var parsed = 0
    var rejected = 0
    for round in 0..<2000 {
      let seed = seeds[round % seeds.count]
      var blob = seed
      let flips = Int.random(in: 1...4, using: &rng)
      for _ in 0..<flips {
        // One flip in eight lands in the header, where a single byte changes the most.
        let index = Int.random(in: 0..<8, using: &rng) == 0
          ? Int.random(in: 0..<40, using: &rng) : Int.random(in: 0..<blob.count, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: blob[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case 1: blob[index] = UInt8.random(in: 0...255, using: &rng)
        default: blob[index] = [0, 1, 2, 3, 4, 9, 0xFF][Int.random(in: 0..<7, using: &rng)]
        }
      }
      if Int.random(in: 0..<8, using: &rng) == 0 {
        blob = Array(blob[0..<Int.random(in: 0...blob.count, using: &rng)])
      }
      if parseError(blob) == nil { parsed += 1 } else { rejected += 1 }
    }
    XCTAssertGreaterThan(parsed, 200)
    XCTAssertGreaterThan(rejected, 200)
  }
}
