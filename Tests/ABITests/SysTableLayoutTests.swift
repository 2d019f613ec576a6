// The frozen ABI v1 (DESIGN §3.1, §3.2): every SysTable offset and size, the syscall numbering and
// the promise bits, checked against the numbers in the design, not against the code's own constants.

import RumpkABI
import XCTest

final class SysTableLayoutTests: XCTestCase {
  func testFieldOffsetsAndSizes() {
    XCTAssertEqual(SysTableLayout.magicOffset, 0x00)
    XCTAssertEqual(SysTableLayout.sizeOffset, 0x04)
    XCTAssertEqual(SysTableLayout.abiOffset, 0x06)
    XCTAssertEqual(SysTableLayout.syscallsOffset, 0x08)
    XCTAssertEqual(SysTableLayout.syscallCount * 8, 96)
    XCTAssertEqual(SysTableLayout.metaSlotOffset, 0x68)
    XCTAssertEqual(SysTableLayout.syscallsOffset + 96, SysTableLayout.metaSlotOffset)
    XCTAssertEqual(SysTableLayout.ringsOffset, 0x70)
    XCTAssertEqual(SysTableLayout.ringDescriptorSize, 24)
    XCTAssertEqual(SysTableLayout.ringDescriptorCount, 4)
    XCTAssertEqual(SysTableLayout.ringsOffset + 96, SysTableLayout.framebufferOffset)
    XCTAssertEqual(SysTableLayout.framebufferOffset, 0xD0)
    XCTAssertEqual(SysTableLayout.framebufferSize, 24)
    XCTAssertEqual(SysTableLayout.reservedOffset, 0xE8)
    XCTAssertEqual(SysTableLayout.reservedOffset + 8, 240)
    XCTAssertEqual(SysTableLayout.size, 240)
    XCTAssertEqual(SysTableLayout.abiVersion, 1)
    XCTAssertEqual(SysTableLayout.magic, 0x4B50_4D52)
  }

  func testRingDescriptorFieldOffsets() {
    XCTAssertEqual(RingDescriptor.baseOffset, 0)
    XCTAssertEqual(RingDescriptor.slotSizeOffset, 8)
    XCTAssertEqual(RingDescriptor.slotCountOffset, 12)
    XCTAssertEqual(RingDescriptor.channelIDOffset, 16)
    XCTAssertEqual(RingDescriptor.flagsOffset, 20)
  }

  func testFixedAddressOnThisHostIsTheAarch64One() {
    XCTAssertEqual(SysTableLayout.address, 0x5000_0000)
  }

  /// Writes a table into a 240-byte buffer and checks the bytes themselves, little-endian.
  func testFormattedBytesAreExact() {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 16)
    defer { buffer.deallocate() }
    buffer.initializeMemory(as: UInt8.self, repeating: 0xAA)
    let t = SysTable(base: buffer.baseAddress!)
    t.format()
    XCTAssertEqual(Array(buffer[0..<8]), [0x52, 0x4D, 0x50, 0x4B, 240, 0, 1, 0])  // "RMPK", 240, 1
    XCTAssertTrue(t.isValid)
    XCTAssertTrue(buffer[8..<240].allSatisfy { $0 == 0 })
    XCTAssertTrue(buffer[240..<256].allSatisfy { $0 == 0xAA }, "format must not write past 240 bytes")

    t.setEntry(.halt, 0x1122_3344_5566_7788)
    XCTAssertEqual(Array(buffer[0x08 + 11 * 8 ..< 0x08 + 12 * 8]), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
    t.metaSlot = 0xABCD
    XCTAssertEqual(buffer[0x68], 0xCD)
    XCTAssertEqual(buffer[0x69], 0xAB)
    t.setRing(.interCellBus, RingDescriptor(base: 0x0102_0304_0506_0708, slotSize: 64, slotCount: 256, channelID: 9, flags: 3))
    let r = 0x70 + 3 * 24
    XCTAssertEqual(buffer[r], 0x08)
    XCTAssertEqual(buffer[r + 8], 64)
    XCTAssertEqual(buffer[r + 13], 1)  // 256 little-endian: 00 01
    XCTAssertEqual(buffer[r + 16], 9)
    XCTAssertEqual(buffer[r + 20], 3)
    XCTAssertEqual(t.ring(.interCellBus).slotCount, 256)
    t.framebuffer = FramebufferDescriptor(base: 0x1000, width: 640, height: 480, stride: 2560, pixelFormat: 1)
    XCTAssertEqual(buffer[0xD0 + 1], 0x10)
    XCTAssertEqual(t.framebuffer.height, 480)
    XCTAssertTrue(buffer[0xE8..<0xF0].allSatisfy { $0 == 0 })
  }

  func testSyscallNumbering() {
    let expected: [(Syscall, Int)] = [
      (.pledge, 0), (.unveil, 1), (.read, 2), (.write, 3), (.map, 4), (.unmap, 5),
      (.spawn, 6), (.kill, 7), (.yield, 8), (.time, 9), (.random, 10), (.halt, 11),
    ]
    XCTAssertEqual(Syscall.allCases.count, 12)
    for (call, number) in expected { XCTAssertEqual(call.rawValue, number, "\(call)") }
  }

  func testPromiseBitsAndRequirements() {
    XCTAssertEqual(Promises.stdio.rawValue, 1 << 0)
    XCTAssertEqual(Promises.mem.rawValue, 1 << 1)
    XCTAssertEqual(Promises.proc.rawValue, 1 << 2)
    XCTAssertEqual(Promises.rand.rawValue, 1 << 3)
    XCTAssertEqual(Promises.ring.rawValue, 1 << 4)
    XCTAssertEqual(Promises.vfs.rawValue, 1 << 5)
    XCTAssertEqual(Promises.halt.rawValue, 1 << 6)
    XCTAssertEqual(Promises.tierMask, 0xC000_0000_0000_0000)
    XCTAssertEqual(Syscall.read.requiredPromise, .stdio)
    XCTAssertEqual(Syscall.write.requiredPromise, .stdio)
    XCTAssertEqual(Syscall.time.requiredPromise, .stdio)
    XCTAssertEqual(Syscall.yield.requiredPromise, .stdio)
    XCTAssertEqual(Syscall.map.requiredPromise, .mem)
    XCTAssertEqual(Syscall.unmap.requiredPromise, .mem)
    XCTAssertEqual(Syscall.spawn.requiredPromise, .proc)
    XCTAssertEqual(Syscall.kill.requiredPromise, .proc)
    XCTAssertEqual(Syscall.random.requiredPromise, .rand)
    XCTAssertEqual(Syscall.halt.requiredPromise, .halt)
    XCTAssertNil(Syscall.pledge.requiredPromise)
    XCTAssertNil(Syscall.unveil.requiredPromise)
  }

  func testErrnoValues() {
    XCTAssertEqual(Errno.eperm.rawValue, -1)
    XCTAssertEqual(Errno.enoent.rawValue, -2)
    XCTAssertEqual(Errno.ebadf.rawValue, -9)
    XCTAssertEqual(Errno.eagain.rawValue, -11)
    XCTAssertEqual(Errno.enomem.rawValue, -12)
    XCTAssertEqual(Errno.efault.rawValue, -14)
    XCTAssertEqual(Errno.einval.rawValue, -22)
    XCTAssertEqual(Errno.enospc.rawValue, -28)
  }
}
