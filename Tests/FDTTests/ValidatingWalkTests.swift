// The boot-time pass: validation and walk fused (FDT.init(_:walk:)), the root-children index that
// resolves stdout-path after it (FDTRootIndex), the one-pass compatible matcher (FDTNameSet) and
// the helpers under them. Each must give exactly what the separate accessors give, and a hostile
// blob must be rejected with the same error as by FDT(_:), without a trap, whatever the walk body
// reads on the way.

@testable import FDT
import TestSupport
import XCTest

/// What a walk reports about a node, comparable.
struct Reported: Equatable {
  var offset: Int, parent: Int?, depth: Int, name: [UInt8], addressCells: Int, sizeCells: Int
  var compatible: [UInt8]?, reg: [UInt8]?

  init(_ n: FDTWalkNode) {
    offset = n.node.offset
    parent = n.parent?.offset
    depth = n.depth
    name = Array(n.name)
    addressCells = n.addressCells
    sizeCells = n.sizeCells
    compatible = n.compatible.map { Array($0) }
    reg = n.regValue.map { Array($0) }
  }
}

/// The result of FDT(_:walk:) on `bytes`: the nodes reported and the error, if any. The body reads
/// through the FDT it is handed as boot code would.
func validatingWalk(
  _ bytes: [UInt8], stopAfter: Int = Int.max
) -> (nodes: [Reported], fdt: (Int, Int, Int)?, error: FDTError?) {
  bytes.withUnsafeBytes { raw in
    var nodes: [Reported] = []
    do throws(FDTError) {
      let fdt = try FDT(raw) { fdt, n in
        nodes.append(Reported(n))
        _ = fdt.reg(n, index: 0)
        _ = fdt.cell(n, "interrupts", index: 1)
        _ = fdt.u64(n, "clock-frequency")
        _ = fdt.stringEquals(n, "status", "okay")
        _ = fdt.property(n.node, "compatible")
        _ = fdt.chosen
        fdt.forEachChild(of: n.node) { _ in true }
        if nodes.count <= 4 {  // whole-tree walks: a few per blob keep the fuzz rounds fast
          _ = fdt.parent(of: n.node)
          _ = fdt.node(path: "/soc/uart")
        }
        return nodes.count < stopAfter
      }
      return (nodes, (fdt.rootOffset, fdt.chosenOffset, fdt.aliasesOffset), nil)
    } catch {
      return (nodes, nil, error)
    }
  }
}

final class ValidatingWalkTests: XCTestCase {
  func trees() throws -> [(String, [UInt8])] {
    var wide = RawBlob()  // more root children than FDTRootIndex records
    wide.begin("")
    wide.prop("#address-cells", [0, 0, 0, 1])
    wide.prop("#size-cells", [0, 0, 0, 1])
    for i in 0..<(FDTRootIndex.capacity + 10) {
      wide.begin("dev@\(i)")
      wide.prop("reg", [0, 0, 0, UInt8(i), 0, 0, 0, 1])
      wide.begin("sub")
      wide.end()
      wide.end()
    }
    wide.begin("aliases")
    wide.prop("last", Array("/dev@\(FDTRootIndex.capacity + 5)/sub".utf8) + [0])
    wide.prop("first", Array("/dev@0".utf8) + [0])
    wide.prop("relative", Array("dev@0".utf8) + [0])
    wide.end()
    wide.begin("chosen")
    wide.end()
    wide.end()
    wide.finish()
    return [
      ("sample.dtb", try Blobs.load("sample.dtb")),
      ("qemu-virt-aarch64.dtb", try Blobs.load("qemu-virt-aarch64.dtb")),
      ("qemu-virt-riscv64.dtb", try Blobs.load("qemu-virt-riscv64.dtb")),
      ("minimal", RawBlob.minimal().build()),
      ("wide", wide.build()),
    ]
  }

  func testReportsWhatWalkReportsAndFindsTheSameTree() throws {
    for (name, blob) in try trees() {
      let fused = validatingWalk(blob)
      XCTAssertNil(fused.error, name)
      try withFDT(blob) { fdt in
        var walked: [Reported] = []
        fdt.walk { n in
          walked.append(Reported(n))
          return true
        }
        XCTAssertEqual(fused.nodes, walked, name)
        XCTAssertEqual(fused.fdt?.0, fdt.rootOffset, name)
        XCTAssertEqual(fused.fdt?.1, fdt.chosenOffset, name)
        XCTAssertEqual(fused.fdt?.2, fdt.aliasesOffset, name)
        XCTAssertEqual(fused.fdt?.1, fdt.node(path: "/chosen")?.offset ?? -1, name)
        XCTAssertEqual(fused.fdt?.2, fdt.node(path: "/aliases")?.offset ?? -1, name)
      }
      // A body that stops early stops the reports, not the validation.
      for stop in [1, 2, 5] {
        let early = validatingWalk(blob, stopAfter: stop)
        XCTAssertEqual(early.nodes, Array(fused.nodes.prefix(stop)), name)
        XCTAssertNil(early.error, name)
      }
    }
  }

  func testBodySeesTheRootButNotChosenYet() throws {
    try Blobs.load("sample.dtb").withUnsafeBytes { raw in
      var roots: [Int] = []
      var chosenSeen = false
      let fdt = try FDT(raw) { fdt, n in
        roots.append(fdt.root.offset)
        chosenSeen = chosenSeen || fdt.chosen != nil
        return true
      }
      XCTAssertEqual(Set(roots), [fdt.root.offset])
      XCTAssertFalse(chosenSeen, "documented: /chosen is known once the pass has ended")
      XCTAssertNotNil(fdt.chosen)
    }
    // Leading NOPs: the root is still the first node.
    var b = RawBlob()
    b.nop()
    b.nop()
    b.begin("")
    b.prop("x", [1])
    b.end()
    b.finish()
    try b.build().withUnsafeBytes { raw in
      var root = -1
      let fdt = try FDT(raw) { fdt, _ in
        root = fdt.root.offset
        return false
      }
      XCTAssertEqual(root, 8)
      XCTAssertEqual(fdt.root.offset, 8)
    }
  }

  /// Every malformed blob the other tests build, prefixes and mutations: the same error as
  /// FDT(_:), and no trap while the body reads through a tree that is not yet known to be valid.
  func testRejectsWhatInitRejects() throws {
    func check(_ blob: [UInt8], _ what: String) {
      let plain = blob.withUnsafeBytes { raw -> FDTError? in
        do throws(FDTError) {
          _ = try FDT(raw)
          return nil
        } catch {
          return error
        }
      }
      XCTAssertEqual(validatingWalk(blob).error, plain, what)
      XCTAssertEqual(validatingWalk(blob, stopAfter: 1).error, plain, what)
    }
    for name in ["sample.dtb", "qemu-virt-aarch64.dtb"] {
      let blob = Blobs.compact(try Blobs.load(name))
      for length in 0...blob.count {
        var cut = Array(blob[0..<length])
        check(cut, "\(name) prefix \(length)")
        if length >= 8 { setBE32(&cut, 4, UInt32(length)) }
        check(cut, "\(name) patched prefix \(length)")
      }
    }
    var rng = SplitMix64(seed: 0xF05E_D3A1)
    let seeds = try trees().map { Blobs.compact($0.1) }
    var rejected = 0
    for round in 0..<3000 {
      var blob = seeds[round % seeds.count]
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let index = Int.random(in: 0..<blob.count, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: blob[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case 1: blob[index] = UInt8.random(in: 0...255, using: &rng)
        default: blob[index] = [0, 1, 2, 3, 4, 9, 0xFF][Int.random(in: 0..<7, using: &rng)]
        }
      }
      if validatingWalk(blob).error != nil { rejected += 1 }
      check(blob, "mutation \(round)")
    }
    XCTAssertGreaterThan(rejected, 300)

    // The structural errors, each found in the fused pass.
    var propAfterChild = RawBlob()
    propAfterChild.begin("")
    propAfterChild.begin("a")
    propAfterChild.end()
    propAfterChild.prop("x", [])
    propAfterChild.end()
    propAfterChild.finish()
    XCTAssertEqual(validatingWalk(propAfterChild.build()).error, .badStructure)
    var deep = RawBlob()
    deep.begin("")
    for _ in 0..<FDT.maxDepth { deep.begin("n") }
    for _ in 0...FDT.maxDepth { deep.end() }
    deep.finish()
    let tooDeep = validatingWalk(deep.build())
    XCTAssertEqual(tooDeep.error, .tooDeep)
    XCTAssertEqual(tooDeep.nodes.count, FDT.maxDepth, "reported up to the last node whose properties ended")
    var badName = RawBlob()
    badName.begin("")
    badName.propRaw(length: 0, nameOffset: 0, [])
    badName.end()
    badName.finish()
    badName.strings = Array(repeating: 0x61, count: 300) + [0]
    XCTAssertEqual(validatingWalk(badName.build()).error, .badString)
  }

  // MARK: FDTRootIndex

  /// Every path of every node, the aliases, a few that match nothing: node(path:in:) with an index
  /// fed by a walk stopped after k nodes, for every k, against node(path:) and parent(of:).
  func testRootIndexResolvesLikeNodePath() throws {
    for (name, blob) in try trees() {
      try withFDT(blob) { fdt in
        var paths: [String] = ["/", "//", "/nope", "/soc/nope", "serial0", "serial0/x", "nope", "first", "last",
                               "relative", "first/sub", "/dev", "/dev@70/sub", "/memory", "/cpus/cpu@0", "/soc/uart"]
        var total = 0
        fdt.forEachNode { n, _ in
          paths.append(fdt.path(n))
          total += 1
          return true
        }
        for stop in [0, 1, 2, 3, total / 2, total - 1, total] {
          var index = FDTRootIndex()
          var seen = 0
          fdt.walk { n in
            if seen >= stop { return false }
            index.visit(n)
            seen += 1
            return true
          }
          for path in paths {
            let bytes = Array(path.utf8)
            let expected = bytes.withUnsafeBytes { fdt.node(path: $0) }
            let got = bytes.withUnsafeBytes { index.node(path: $0, in: fdt) }
            XCTAssertEqual(got?.node, expected, "\(name) \(path) stop \(stop)")
            if let got { XCTAssertEqual(got.parent, fdt.parent(of: got.node), "\(name) \(path)") }
          }
        }
      }
    }
  }

  func testRootIndexFindsTheConsoles() throws {
    let all = Dictionary(uniqueKeysWithValues: try trees())
    for (blob, path, expected) in [("qemu-virt-aarch64.dtb", "/pl011@9000000", "/pl011@9000000"),
                                   ("qemu-virt-riscv64.dtb", "/soc/serial@10000000", "/soc/serial@10000000"),
                                   ("sample.dtb", "serial0", "/soc/uart@1000"),
                                   ("wide", "last", "/dev@\(FDTRootIndex.capacity + 5)/sub"),
                                   ("wide", "first/sub", "/dev@0/sub")] {
      try all[blob]!.withUnsafeBytes { raw in
        var index = FDTRootIndex()
        let fdt = try FDT(raw) { _, n in
          index.visit(n)
          return true
        }
        let got = try XCTUnwrap(Array(path.utf8).withUnsafeBytes { index.node(path: $0, in: fdt) }, "\(blob) \(path)")
        XCTAssertEqual(fdt.path(got.node), expected)
      }
    }
  }

  func testRootIndexOnMutatedBlobs() throws {
    var rng = SplitMix64(seed: 0x1D3)
    let seeds = try trees().map { Blobs.compact($0.1) }
    for round in 0..<1500 {
      var blob = seeds[round % seeds.count]
      let index = Int.random(in: 0..<blob.count, using: &rng)
      blob[index] = UInt8.random(in: 0...255, using: &rng)
      _ = blob.withUnsafeBytes { raw in
        var idx = FDTRootIndex()
        guard let fdt = try? FDT(raw, walk: { _, n in
          idx.visit(n)
          return true
        }) else { return 0 }
        for path in ["/chosen", "/soc/uart@1000", "serial0", "/pl011@9000000", "/dev@3/sub", "last"] {
          let bytes = Array(path.utf8)
          let expected = bytes.withUnsafeBytes { fdt.node(path: $0) }
          XCTAssertEqual(bytes.withUnsafeBytes { idx.node(path: $0, in: fdt)?.node }, expected, "round \(round) \(path)")
        }
        return 0
      }
    }
  }

  func testNodeNameMatchesAgreesWithNameMatches() throws {
    let components = ["", "a", "uart", "uart@1000", "uart@100", "soc", "chosen", "virtio_mmio", "virtio_mmio@a000000",
                      "@", "cpu@0", "memory", "memory@40000000", "pl011@9000000x", "x\0y"]
    var rng = SplitMix64(seed: 5)
    for (name, seed) in try trees() {
      for round in 0..<60 {
        var blob = Blobs.compact(seed)
        if round > 0 { blob[Int.random(in: 0..<blob.count, using: &rng)] = [0, 0x40, 0x61, 0xFF][round % 4] }
        _ = blob.withUnsafeBytes { raw in
          guard let fdt = try? FDT(raw) else { return 0 }
          var offsets: [Int] = [-4, 1, 2, fdt.structBlock.count, fdt.structBlock.count - 4]
          fdt.forEachNode { n, _ in
            offsets.append(n.offset)
            return true
          }
          for o in offsets {
            for c in components {
              let node = FDTNode(offset: o)
              let isNode = fdt.bodyOffset(node) != nil
              Array(c.utf8).withUnsafeBytes { comp in
                if isNode || c != "" {
                  XCTAssertEqual(fdt.nodeNameMatches(node, component: comp), fdt.nameMatches(node, component: comp),
                                 "\(name) round \(round) offset \(o) component \(c)")
                }
              }
            }
          }
          return 0
        }
      }
    }
  }

  func testForEachSiblingFollowsTheParentsChildren() throws {
    for (name, blob) in try trees() {
      try withFDT(blob) { fdt in
        fdt.forEachNode { n, _ in
          guard let p = fdt.parent(of: n) else { return true }
          var children: [Int] = []
          fdt.forEachChild(of: p) { c in
            children.append(c.offset)
            return true
          }
          var after: [Int] = []
          fdt.forEachSibling(after: n) { c in
            after.append(c.offset)
            return true
          }
          XCTAssertEqual(after, Array(children.drop(while: { $0 != n.offset }).dropFirst()), name)
          return true
        }
      }
    }
  }

  // MARK: FDTNameSet, StringsCheck, walk-node accessors

  func testNameSetMatchesLikeListContains() {
    let set = FDTNameSet("arm,pl011\0arm,gic-v3\0\0arm,armv8-timer\0virtio,mmio")
    let names: [StaticString] = ["arm,pl011", "arm,gic-v3", "arm,armv8-timer", "virtio,mmio"]
    let pool = ["arm,pl011", "arm,gic-v3", "arm,armv8-timer", "virtio,mmio", "arm,primecell", "arm,pl0111", "arm,pl01",
                "", "arm,gic-v3-its", "x", String(repeating: "y", count: 70)]
    var rng = SplitMix64(seed: 99)
    for _ in 0..<500 {
      var list: [UInt8] = []
      for _ in 0..<Int(rng.next() % 5) { list += Array(pool[Int(rng.next() % UInt64(pool.count))].utf8) + [0] }
      if rng.next() % 4 == 0 { list += Array("arm,pl011".utf8) }  // trailing bytes without NUL
      list.withUnsafeBytes { raw in
        var expected: UInt32 = 0
        for (k, n) in names.enumerated() where FDT.listContains(raw, n) { expected |= 1 << UInt32(k) }
        XCTAssertEqual(set.matches(raw), expected, "\(list)")
      }
    }
    // Only the first `capacity` names, and only names that end within the first 256 bytes.
    var many = ""
    for i in 0..<12 { many += "n\(i)\0" }
    let big = FDTNameSet("n0\0n1\0n2\0n3\0n4\0n5\0n6\0n7\0n8\0n9\0n10\0n11\0")
    Array(many.utf8).withUnsafeBytes { raw in XCTAssertEqual(big.matches(raw), 0xFF) }
    let far = FDTNameSet("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0x\0b\0")
    Array("b\0x\0".utf8).withUnsafeBytes { XCTAssertEqual(far.matches($0), 0b010, "x ends at byte 255, b beyond") }
    Array(String(repeating: "a", count: 253).utf8 + [0]).withUnsafeBytes { XCTAssertEqual(far.matches($0), 0b001) }
    Array("x\0".utf8).withUnsafeBytes { XCTAssertEqual(FDTNameSet("x").matches($0), 1) }
    Array("\0".utf8).withUnsafeBytes { XCTAssertEqual(FDTNameSet("\0\0").matches($0), 0) }
  }

  /// The window check against the definition: every offset up to the last NUL has a NUL within
  /// maxPropertyNameLength bytes exactly when no run before the last NUL is longer than that.
  func testStringsCheckAnswersForEveryOffsetWhenRunsAreShort() {
    var rng = SplitMix64(seed: 12)
    for round in 0..<400 {
      let n = Int(rng.next() % 1500)
      let zeroEvery = UInt64(1 + rng.next() % (round % 2 == 0 ? 40 : 400))
      var strings = (0..<n).map { _ in rng.next() % zeroEvery == 0 ? UInt8(0) : UInt8(0x61) }
      if n > 0 && round % 3 == 0 { strings[n - 1] = 0 }
      var last = -1, run = 0, longest = 0
      for (i, b) in strings.enumerated() {
        if b == 0 {
          longest = max(longest, run)
          last = i
          run = 0
        } else {
          run += 1
        }
      }
      strings.withUnsafeBytes { raw in
        let check = StringsCheck(raw)
        XCTAssertEqual(check.lastNUL, longest <= FDT.maxPropertyNameLength ? last : -1, "round \(round)")
        for offset in -1...(n + 1) where check.valid(offset) {
          XCTAssertNotNil(indexOfNUL(raw, from: offset, limit: FDT.maxPropertyNameLength + 1))
        }
      }
    }
    // Runs of exactly the limit and one more, at the start, the middle and the end.
    for (length, ok) in [(FDT.maxPropertyNameLength, true), (FDT.maxPropertyNameLength + 1, false)] {
      for layout in 0..<3 {
        let run = [UInt8](repeating: 0x61, count: length) + [0]
        let strings: [UInt8] = layout == 0 ? run + [0x62, 0] : layout == 1 ? [0x62, 0] + run + [0x63, 0] : [0x62, 0] + run
        strings.withUnsafeBytes { XCTAssertEqual(StringsCheck($0).lastNUL >= 0, ok, "\(length) \(layout)") }
      }
    }
  }

  func testWalkNodeAccessorsAgreeWithNodeAccessors() throws {
    for (name, blob) in try trees() {
      try withFDT(blob) { fdt in
        fdt.walk { n in
          for i in 0..<8 {
            XCTAssertEqual(fdt.cell(n, "interrupts", index: i), fdt.cell(n.node, "interrupts", index: i), name)
            XCTAssertEqual(fdt.cell(n, "reg", index: i), fdt.cell(n.node, "reg", index: i), name)
          }
          XCTAssertEqual(fdt.u64(n, "reg"), fdt.u64(n.node, "reg"), name)
          XCTAssertEqual(fdt.u64(n, "clock-frequency"), fdt.u64(n.node, "clock-frequency"), name)
          XCTAssertEqual(fdt.stringEquals(n, "method", "smc"), fdt.stringEquals(n.node, "method", "smc"), name)
          XCTAssertEqual(fdt.stringEquals(n, "device_type", "memory"), fdt.stringEquals(n.node, "device_type", "memory"), name)
          return true
        }
      }
    }
  }
}
