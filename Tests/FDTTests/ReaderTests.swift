// The reader on a hand-written tree (Blobs/sample.dts): paths, aliases, /chosen, cells, phandles.

import FDT
import XCTest

final class ReaderTests: XCTestCase {
  func sample<R>(_ body: (FDT) throws -> R) throws -> R {
    try withFDT(Blobs.load("sample.dtb"), body)
  }

  func testRootAndStrings() throws {
    try sample { fdt in
      XCTAssertEqual(fdt.name(of: fdt.root).count, 0)
      XCTAssertEqual(fdt.node(path: "/"), fdt.root)
      XCTAssertEqual(fdt.string(fdt.root, "model")?.text, "rumpk,test-board")
      XCTAssertTrue(fdt.isCompatible(fdt.root, "rumpk,generic"))
      XCTAssertTrue(fdt.isCompatible(fdt.root, "rumpk,test-board"))
      XCTAssertFalse(fdt.isCompatible(fdt.root, "rumpk"))
      var list: [String] = []
      fdt.forEachString(fdt.root, "compatible") { s in
        list.append(s.text)
        return true
      }
      XCTAssertEqual(list, ["rumpk,test-board", "rumpk,generic"])
      XCTAssertNil(fdt.property(fdt.root, "nonexistent"))
      XCTAssertEqual(fdt.addressCells(fdt.root), 2)
      XCTAssertEqual(fdt.sizeCells(fdt.root), 2)
    }
  }

  func testReservations() throws {
    try sample { fdt in
      XCTAssertEqual(fdt.reservationCount, 2)
      XCTAssertEqual(fdt.reservation(0)?.address, 0x4800_0000)
      XCTAssertEqual(fdt.reservation(0)?.size, 0x10_0000)
      XCTAssertEqual(fdt.reservation(1)?.address, 0x1_8000_0000)
      XCTAssertEqual(fdt.reservation(1)?.size, 0x1000)
      XCTAssertNil(fdt.reservation(2))
      XCTAssertNil(fdt.reservation(-1))
    }
  }

  func testPaths() throws {
    try sample { fdt in
      let uart1 = try XCTUnwrap(fdt.node(path: "/soc/uart@1000"))
      let uart2 = try XCTUnwrap(fdt.node(path: "/soc/uart@2000"))
      XCTAssertNotEqual(uart1, uart2)
      XCTAssertEqual(fdt.node(path: "/soc/uart"), uart1, "a component without @ matches the first name@unit")
      XCTAssertEqual(fdt.node(path: "//soc///uart@2000/"), uart2)
      XCTAssertNil(fdt.node(path: "/soc/uart@3000"))
      XCTAssertNil(fdt.node(path: "/soc/uar"))
      XCTAssertNil(fdt.node(path: "/nope"))
      XCTAssertNil(fdt.node(path: ""))
      XCTAssertEqual(fdt.node(path: "/rumkv/cell"), fdt.node(path: "/rumkv/cell@0"))
      XCTAssertEqual(fdt.node(path: "serial0"), uart1)
      XCTAssertEqual(fdt.node(path: "rumkv/cell@1"), fdt.node(path: "/rumkv/cell@1"))
      XCTAssertNil(fdt.node(path: "serial9"))
      XCTAssertEqual(fdt.path(uart2), "/soc/uart@2000")
      XCTAssertEqual(fdt.baseName(of: uart2).text, "uart")
      XCTAssertTrue(fdt.nameEquals(uart2, "uart@2000"))
      let soc = try XCTUnwrap(fdt.node(path: "/soc"))
      XCTAssertEqual(fdt.child(of: soc, named: "interrupt-controller"), fdt.node(path: "/soc/interrupt-controller@3000"))
      XCTAssertEqual(fdt.parent(of: uart2), soc)
      XCTAssertEqual(fdt.parent(of: soc), fdt.root)
      XCTAssertEqual(fdt.depth(of: uart2), 2)
      XCTAssertNil(fdt.depth(of: FDTNode(offset: 3)))
      XCTAssertEqual(fdt.name(of: FDTNode(offset: 1 << 40)).count, 0)
      XCTAssertNil(fdt.property(FDTNode(offset: -4), "reg"))
    }
  }

  func testChildrenAndIteration() throws {
    try sample { fdt in
      let rumkv = try XCTUnwrap(fdt.node(path: "/rumkv"))
      var names: [String] = []
      fdt.forEachChild(of: rumkv) { c in
        names.append(fdt.name(of: c).text)
        return true
      }
      XCTAssertEqual(names, ["cell@0", "cell@1"])
      var first: [String] = []
      fdt.forEachChild(of: rumkv) { c in
        first.append(fdt.name(of: c).text)
        return false
      }
      XCTAssertEqual(first, ["cell@0"])
      var tags: [String] = []
      fdt.forEachCompatible("rumkv,cell") { n in
        tags.append(fdt.string(n, "name-tag")?.text ?? "?")
        return true
      }
      XCTAssertEqual(tags, ["alpha", "beta"])
      XCTAssertEqual(fdt.countCompatible("ns16550a"), 2)
      var count = 0
      var maxDepth = 0
      fdt.forEachNode { _, d in
        count += 1
        maxDepth = max(maxDepth, d)
        return true
      }
      XCTAssertEqual(count, 15)
      XCTAssertEqual(maxDepth, 2)
      var props: [String] = []
      fdt.forEachProperty(of: try XCTUnwrap(fdt.node(path: "/soc/uart@2000"))) { p in
        props.append(p.name.text)
        return true
      }
      XCTAssertEqual(props, ["compatible", "reg", "interrupts", "status"])
    }
  }

  func testChosen() throws {
    try sample { fdt in
      XCTAssertEqual(fdt.stdoutPath, fdt.node(path: "/soc/uart@1000"))
      XCTAssertEqual(fdt.stdoutOptions?.text, "115200n8")
      XCTAssertEqual(fdt.bootargs?.text, "console=ttyS0 quiet  rumpk.debug\tloglevel=7")
      XCTAssertTrue(fdt.bootargsContains("quiet"))
      XCTAssertTrue(fdt.bootargsContains("rumpk.debug"))
      XCTAssertTrue(fdt.bootargsContains("loglevel=7"))
      XCTAssertTrue(fdt.bootargsContains("console=ttyS0"))
      XCTAssertFalse(fdt.bootargsContains("quie"))
      XCTAssertFalse(fdt.bootargsContains("console"))
      XCTAssertFalse(fdt.bootargsContains("rumpk"))
      let initrd = try XCTUnwrap(fdt.initrd)
      XCTAssertEqual(initrd.start, 0x4800_0000)
      XCTAssertEqual(initrd.end, 0x4810_0000)
    }
  }

  func testCellsRegAndPhandles() throws {
    try sample { fdt in
      let memory = try XCTUnwrap(fdt.node(path: "/memory"))
      XCTAssertEqual(fdt.regCount(memory), 2)
      XCTAssertEqual(fdt.reg(memory, index: 1)?.address, 0x1_0000_0000)
      XCTAssertEqual(fdt.reg(memory, index: 1)?.size, 0x2000_0000)
      var regions: [UInt64] = []
      fdt.forEachMemoryRegion { a, s in
        regions += [a, s]
        return true
      }
      XCTAssertEqual(regions, [0x8000_0000, 0x1000_0000, 0x1_0000_0000, 0x2000_0000])

      let cpu1 = try XCTUnwrap(fdt.node(path: "/cpus/cpu@1"))
      XCTAssertEqual(fdt.reg(cpu1, index: 0)?.address, 1)
      XCTAssertEqual(fdt.reg(cpu1, index: 0)?.size, 0)

      let uart = try XCTUnwrap(fdt.node(path: "/soc/uart@1000"))
      XCTAssertEqual(fdt.reg(uart, index: 0)?.address, 0x1000)
      XCTAssertEqual(fdt.reg(uart, index: 0)?.size, 0x100)
      XCTAssertNil(fdt.reg(uart, index: 1))
      XCTAssertNil(fdt.reg(uart, index: -1))
      XCTAssertNil(fdt.reg(uart, index: 0, addressCells: 3, sizeCells: 1))
      XCTAssertEqual(fdt.interrupts(uart, index: 0), 10)
      XCTAssertEqual(fdt.interrupts(uart, index: 1), 4)
      XCTAssertNil(fdt.interrupts(uart, index: 2))
      XCTAssertEqual(fdt.u64(uart, "reg"), 0x1000_0000_0100)
      XCTAssertNil(fdt.u32(uart, "reg"))

      let phandle = try XCTUnwrap(fdt.u32(uart, "interrupt-parent"))
      XCTAssertEqual(fdt.node(phandle: phandle), fdt.node(path: "/soc/interrupt-controller@3000"))
      XCTAssertNil(fdt.node(phandle: 0xDEAD))
      XCTAssertEqual(fdt.node(path: "/rumkv"), fdt.node(path: "rumkv"))
    }
  }

  func testVersion16Header() throws {
    var blob = try Blobs.load("sample.dtb")
    setBE32(&blob, 20, 16)
    try withFDT(blob) { fdt in
      XCTAssertEqual(fdt.header.version, 16)
      XCTAssertNotNil(fdt.node(path: "/soc/uart@1000"))
    }
  }
}
