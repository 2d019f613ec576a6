// Shared helpers for FDTTests: loading blobs from the bundle, a hand assembler for malformed
// blobs, a seeded PRNG, and a walk that touches every reader API.

import FDT
import Foundation
import XCTest

enum Blobs {
  static func load(_ name: String) throws -> [UInt8] {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Blobs"))
    return [UInt8](try Data(contentsOf: url))
  }

  /// The blob cut down to the end of its structure and strings blocks, totalsize patched to match.
  static func compact(_ blob: [UInt8]) -> [UInt8] {
    let structEnd = Int(be32(blob, 8) + be32(blob, 36))
    let stringsEnd = Int(be32(blob, 12) + be32(blob, 32))
    var out = Array(blob[0..<max(structEnd, stringsEnd)])
    setBE32(&out, 4, UInt32(out.count))
    return out
  }
}

func be32(_ b: [UInt8], _ o: Int) -> UInt32 {
  UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
}

func setBE32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
  b[o] = UInt8(v >> 24)
  b[o + 1] = UInt8((v >> 16) & 0xFF)
  b[o + 2] = UInt8((v >> 8) & 0xFF)
  b[o + 3] = UInt8(v & 0xFF)
}

/// Parses `bytes` and runs `body` while the array's storage is pinned.
func withFDT<R>(_ bytes: [UInt8], _ body: (FDT) throws -> R) throws -> R {
  try bytes.withUnsafeBytes { raw in try body(try FDT(raw)) }
}

/// The parse error of `bytes`, or nil if it parses (walking it fully in that case).
func parseError(_ bytes: [UInt8]) -> FDTError? {
  bytes.withUnsafeBytes { raw -> FDTError? in
    do throws(FDTError) {
      let fdt = try FDT(raw)
      exerciseEverything(fdt)
      return nil
    } catch {
      return error
    }
  }
}

extension UnsafeRawBufferPointer {
  var text: String { String(decoding: self, as: UTF8.self) }
}

extension FDT {
  func path(_ node: FDTNode) -> String {
    var parts: [String] = []
    var n: FDTNode? = node
    while let c = n, c != root {
      parts.insert(name(of: c).text, at: 0)
      n = parent(of: c)
    }
    return "/" + parts.joined(separator: "/")
  }
}

/// Builds blobs token by token, including wrong ones. Layout: header, empty reservation block,
/// structure block, strings block.
struct RawBlob {
  var structure: [UInt8] = []
  var strings: [UInt8] = []

  mutating func u32(_ v: UInt32) {
    structure += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }

  mutating func pad() { while structure.count % 4 != 0 { structure.append(0) } }

  mutating func begin(_ name: String) {
    u32(1)
    structure += Array(name.utf8) + [0]
    pad()
  }

  mutating func end() { u32(2) }
  mutating func nop() { u32(4) }
  mutating func finish() { u32(9) }

  mutating func nameOffset(_ name: String) -> UInt32 {
    let offset = UInt32(strings.count)
    strings += Array(name.utf8) + [0]
    return offset
  }

  mutating func prop(_ name: String, _ value: [UInt8]) {
    let offset = nameOffset(name)
    propRaw(length: UInt32(value.count), nameOffset: offset, value)
  }

  mutating func propRaw(length: UInt32, nameOffset: UInt32, _ value: [UInt8]) {
    u32(3)
    u32(length)
    u32(nameOffset)
    structure += value
    pad()
  }

  /// A minimal well-formed tree: root with one property and one child.
  static func minimal() -> RawBlob {
    var b = RawBlob()
    b.begin("")
    b.prop("model", Array("x".utf8) + [0])
    b.begin("child@1")
    b.end()
    b.end()
    b.finish()
    return b
  }

  func build(version: UInt32 = 17, lastCompatible: UInt32 = 16) -> [UInt8] {
    let structOffset = 40 + 16
    let stringsOffset = structOffset + structure.count
    var out = [UInt8](repeating: 0, count: 40 + 16)
    out += structure
    out += strings
    setBE32(&out, 0, 0xD00D_FEED)
    setBE32(&out, 4, UInt32(out.count))
    setBE32(&out, 8, UInt32(structOffset))
    setBE32(&out, 12, UInt32(stringsOffset))
    setBE32(&out, 16, 40)
    setBE32(&out, 20, version)
    setBE32(&out, 24, lastCompatible)
    setBE32(&out, 32, UInt32(strings.count))
    setBE32(&out, 36, UInt32(structure.count))
    return out
  }
}

/// Calls every reader API on every node; used on fuzzed blobs that parsed, where it must not trap.
func exerciseEverything(_ fdt: FDT) {
  var nodes = 0
  fdt.forEachNode { n, depth in
    nodes += 1
    _ = fdt.name(of: n).count
    _ = fdt.baseName(of: n).count
    fdt.forEachProperty(of: n) { p in
      _ = p.name.count + p.value.count
      return true
    }
    _ = fdt.reg(n, index: 0)
    _ = fdt.reg(n, index: 1, addressCells: 1, sizeCells: 1)
    _ = fdt.regCount(n)
    _ = fdt.interrupts(n, index: 0)
    _ = fdt.u32(n, "phandle")
    _ = fdt.u64(n, "reg")
    _ = fdt.string(n, "compatible")
    _ = fdt.stringEquals(n, "status", "okay")
    _ = fdt.isCompatible(n, "virtio,mmio")
    fdt.forEachString(n, "compatible") { _ in true }
    fdt.forEachChild(of: n) { _ in true }
    _ = fdt.child(of: n, named: "cpu")
    if nodes < 40 {
      _ = fdt.parent(of: n)
      _ = fdt.depth(of: n)
    }
    return true
  }
  // The one-walk API: every node, every accessor on the walk node, a path match on the way.
  Array("/soc/uart".utf8).withUnsafeBytes { path in
    var match = FDTPathMatch(path)
    fdt.walk { n in
      _ = n.name.count + n.depth + n.addressCells + n.sizeCells
      _ = fdt.reg(n, index: 0)
      _ = fdt.property(n, "compatible")
      _ = fdt.isCompatible(n, "virtio,mmio")
      _ = match?.visit(n)
      return true
    }
  }
  fdt.forEachNodeWithParent { _, _, _ in true }
  if let c = fdt.chosen {
    _ = fdt.stdoutPathValue(chosen: c)
    _ = fdt.stdoutPath(chosen: c)
    _ = fdt.bootargsContains("quiet", chosen: c)
  }
  _ = fdt.stdoutPath
  _ = fdt.stdoutOptions
  _ = fdt.bootargsContains("quiet")
  _ = fdt.initrd
  _ = fdt.node(path: "/chosen")
  _ = fdt.node(path: "serial0")
  _ = fdt.node(path: "/soc/uart")
  _ = fdt.node(phandle: 1)
  _ = fdt.firstCompatible("arm,pl011")
  fdt.forEachMemoryRegion { _, _ in true }
  for i in 0...fdt.reservationCount { _ = fdt.reservation(i) }

  // A tree that parsed must copy into a writer and come back parseable, unless the writer refuses
  // a name it considers invalid.
  var out = [UInt8](repeating: 0, count: fdt.totalSize * 2 + 64)
  out.withUnsafeMutableBytes { raw in
    var w = FDTWriter(buffer: raw)
    do throws(FDTError) {
      try w.copySubtree(from: fdt, node: fdt.root)
      let size = try w.finish()
      do throws(FDTError) {
        _ = try FDT(UnsafeRawBufferPointer(rebasing: raw[0..<size]))
      } catch {
        XCTFail("copy of a valid tree does not parse: \(error)")
      }
    } catch {
      XCTAssertTrue(error == .badString || error == .noSpace, "copy failed: \(error)")
    }
  }
}
