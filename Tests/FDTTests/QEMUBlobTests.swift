// Real board trees dumped from QEMU's virt machines: the reader must find what a kernel or the
// hypervisor looks for at boot.

import FDT
import XCTest

final class QEMUBlobTests: XCTestCase {
  func testAArch64Memory() throws {
    try withFDT(Blobs.load("qemu-virt-aarch64.dtb")) { fdt in
      XCTAssertEqual(fdt.header.version, 17)
      let memory = try XCTUnwrap(fdt.node(path: "/memory"))
      XCTAssertEqual(fdt.name(of: memory).text, "memory@40000000")
      XCTAssertTrue(fdt.stringEquals(memory, "device_type", "memory"))
      let reg = try XCTUnwrap(fdt.reg(memory, index: 0))
      XCTAssertEqual(reg.address, 0x4000_0000)
      XCTAssertEqual(reg.size, 512 << 20)
      XCTAssertNil(fdt.reg(memory, index: 1))
      var regions: [UInt64] = []
      fdt.forEachMemoryRegion { a, s in
        regions += [a, s]
        return true
      }
      XCTAssertEqual(regions, [0x4000_0000, 512 << 20])
    }
  }

  func testAArch64ConsoleIsPL011() throws {
    try withFDT(Blobs.load("qemu-virt-aarch64.dtb")) { fdt in
      let uart = try XCTUnwrap(fdt.firstCompatible("arm,pl011"))
      XCTAssertEqual(fdt.reg(uart, index: 0)?.address, 0x900_0000)
      XCTAssertEqual(fdt.reg(uart, index: 0)?.size, 0x1000)
      XCTAssertTrue(fdt.isCompatible(uart, "arm,primecell"))
      XCTAssertEqual(fdt.stdoutPath, uart)
      XCTAssertNil(fdt.stdoutOptions)
      XCTAssertEqual(fdt.node(path: "/pl011@9000000"), uart)
      XCTAssertEqual(fdt.node(path: "/pl011"), uart)
      XCTAssertEqual(fdt.countCompatible("arm,pl011"), 1)
    }
  }

  func testAArch64PSCI() throws {
    try withFDT(Blobs.load("qemu-virt-aarch64.dtb")) { fdt in
      let psci = try XCTUnwrap(fdt.node(path: "/psci"))
      let method = try XCTUnwrap(fdt.string(psci, "method")).text
      XCTAssertTrue(method == "hvc" || method == "smc")
      XCTAssertTrue(fdt.stringEquals(psci, "method", "hvc"))
      XCTAssertTrue(fdt.stringListContains(psci, "compatible", "arm,psci-0.2"))
      XCTAssertTrue(fdt.isCompatible(psci, "arm,psci"))
      XCTAssertFalse(fdt.isCompatible(psci, "arm,psc"))
      XCTAssertEqual(fdt.u32(psci, "cpu_on"), 0xC400_0003)
      XCTAssertEqual(fdt.firstCompatible("arm,psci-1.0"), psci)
    }
  }

  func testAArch64VirtioMMIO() throws {
    try withFDT(Blobs.load("qemu-virt-aarch64.dtb")) { fdt in
      var addresses: [UInt64] = []
      fdt.forEachCompatible("virtio,mmio") { n in
        if let r = fdt.reg(n, index: 0) {
          XCTAssertEqual(r.size, 0x200)
          addresses.append(r.address)
        }
        return true
      }
      XCTAssertEqual(addresses.count, 32)
      XCTAssertEqual(addresses.sorted(), (0..<32).map { 0x0A00_0000 + UInt64($0) * 0x200 })
      XCTAssertEqual(fdt.countCompatible("virtio,mmio"), 32)
    }
  }

  func testAArch64GIC() throws {
    try withFDT(Blobs.load("qemu-virt-aarch64.dtb")) { fdt in
      let gic = try XCTUnwrap(fdt.firstCompatible("arm,gic-v3"))
      XCTAssertEqual(fdt.name(of: gic).text, "intc@8000000")
      XCTAssertTrue(fdt.hasProperty(gic, "interrupt-controller"))
      XCTAssertEqual(fdt.property(gic, "interrupt-controller")?.count, 0)
      XCTAssertEqual(fdt.u32(gic, "#interrupt-cells"), 3)
      XCTAssertEqual(fdt.regCount(gic), 2)
      XCTAssertEqual(fdt.reg(gic, index: 0)?.address, 0x800_0000)
      XCTAssertEqual(fdt.reg(gic, index: 0)?.size, 0x1_0000)
      XCTAssertEqual(fdt.reg(gic, index: 1)?.address, 0x80A_0000)
      XCTAssertEqual(fdt.reg(gic, index: 1)?.size, 0xF6_0000)
      let rootParent = try XCTUnwrap(fdt.u32(fdt.root, "interrupt-parent"))
      XCTAssertEqual(fdt.node(phandle: rootParent), gic)
      let its = try XCTUnwrap(fdt.firstCompatible("arm,gic-v3-its"))
      XCTAssertEqual(fdt.parent(of: its), gic)
      XCTAssertEqual(fdt.reg(its, index: 0)?.address, 0x808_0000)
      XCTAssertEqual(fdt.path(its), "/intc@8000000/its@8080000")

      let timer = try XCTUnwrap(fdt.firstCompatible("arm,armv8-timer"))
      XCTAssertEqual(fdt.cellCount(timer, "interrupts"), 12)
      XCTAssertEqual(fdt.interrupts(timer, index: 1), 0x0D)
      XCTAssertEqual(fdt.interrupts(timer, index: 4), 0x0E)
      XCTAssertNil(fdt.interrupts(timer, index: 12))
    }
  }

  func testAArch64CPUsAndPCI() throws {
    try withFDT(Blobs.load("qemu-virt-aarch64.dtb")) { fdt in
      let cpu = try XCTUnwrap(fdt.node(path: "/cpus/cpu@0"))
      XCTAssertEqual(fdt.regCells(cpu).addressCells, 1)
      XCTAssertEqual(fdt.regCells(cpu).sizeCells, 0)
      XCTAssertEqual(fdt.reg(cpu, index: 0)?.address, 0)
      XCTAssertEqual(fdt.reg(cpu, index: 0)?.size, 0)
      XCTAssertNotNil(fdt.node(path: "/cpus/cpu-map/socket0/cluster0/core0"))
      let pcie = try XCTUnwrap(fdt.firstCompatible("pci-host-ecam-generic"))
      XCTAssertEqual(fdt.reg(pcie, index: 0)?.address, 0x40_1000_0000)
      XCTAssertEqual(fdt.addressCells(pcie), 3)
      let clock = try XCTUnwrap(fdt.node(path: "/apb-pclk"))
      XCTAssertEqual(fdt.u32(clock, "clock-frequency"), 24_000_000)
      XCTAssertEqual(fdt.depth(of: cpu), 2)
      XCTAssertNil(fdt.parent(of: fdt.root))
    }
  }

  func testAArch64FullFileAndAt() throws {
    let blob = try Blobs.load("qemu-virt-aarch64.dtb")
    try blob.withUnsafeBytes { raw in
      let base = try XCTUnwrap(raw.baseAddress)
      let fdt = try FDT.at(base, maxSize: raw.count)
      XCTAssertEqual(fdt.totalSize, Int(be32(blob, 4)))
      XCTAssertEqual(fdt.bytes.count, fdt.totalSize)
      XCTAssertThrowsError(try FDT.at(base, maxSize: fdt.totalSize - 1)) { XCTAssertEqual($0 as? FDTError, .truncated) }
      XCTAssertThrowsError(try FDT.at(base, maxSize: 8)) { XCTAssertEqual($0 as? FDTError, .truncated) }
    }
  }

  func testRISCV64() throws {
    try withFDT(Blobs.load("qemu-virt-riscv64.dtb")) { fdt in
      let test = try XCTUnwrap(fdt.firstCompatible("sifive,test1"))
      XCTAssertEqual(fdt.name(of: test).text, "test@100000")
      XCTAssertTrue(fdt.isCompatible(test, "syscon"))
      XCTAssertEqual(fdt.reg(test, index: 0)?.address, 0x10_0000)
      XCTAssertEqual(fdt.reg(test, index: 0)?.size, 0x1000)

      var addresses: [UInt64] = []
      fdt.forEachCompatible("virtio,mmio") { n in
        if let r = fdt.reg(n, index: 0) {
          XCTAssertEqual(r.size, 0x1000)
          addresses.append(r.address)
        }
        return true
      }
      XCTAssertEqual(addresses.sorted(), (0..<8).map { 0x1000_1000 + UInt64($0) * 0x1000 })

      let uart = try XCTUnwrap(fdt.stdoutPath)
      XCTAssertEqual(fdt.path(uart), "/soc/serial@10000000")
      XCTAssertTrue(fdt.isCompatible(uart, "ns16550a"))
      XCTAssertEqual(fdt.reg(uart, index: 0)?.address, 0x1000_0000)

      let memory = try XCTUnwrap(fdt.node(path: "/memory"))
      XCTAssertEqual(fdt.reg(memory, index: 0)?.address, 0x8000_0000)
      XCTAssertEqual(fdt.reg(memory, index: 0)?.size, 256 << 20)
      XCTAssertEqual(fdt.u32(try XCTUnwrap(fdt.node(path: "/cpus")), "timebase-frequency"), 10_000_000)
      XCTAssertNotNil(fdt.firstCompatible("riscv,plic0"))
      XCTAssertNotNil(fdt.firstCompatible("riscv,clint0"))
      XCTAssertNotNil(fdt.node(path: "/cpus/cpu@0/interrupt-controller"))
    }
  }
}
