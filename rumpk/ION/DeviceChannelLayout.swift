// The device channel protocol (docs/decisions/K5-device-channels.md): how NPLs reach block and network
// devices without syscalls. The kernel publishes one named channel region per device ("/dev/blk0",
// "/dev/net0"); an NPL opens it with map(MAP_NAMED | write). The region holds a header, a request ring
// (NPL produces, kernel consumes), a completion ring (kernel produces, NPL consumes) and a data area.
// Requests name bytes of the data area by offset and length; the device moves data straight between
// the data area and the disk or wire (the kernel checks every offset and length first).
//
// Layout by explicit offsets, little-endian. Shared by the kernel's drivers (rumpk/Drivers/virtio)
// and the NPL helpers in this module.
//
//   0x0000  u32 magic "RDV1"   u16 kind (1 block, 2 net)   u16 state (1 ready, 2 failed)
//   0x0008  u32 data offset     u32 data size
//   0x0010  u64 block: capacity in 512-byte sectors; net: MAC address (bytes 0-5)
//   0x0018  u32 block: sector size (512); net: largest frame (1514)
//   0x0100  request ring (ION, 32 slots of 32 bytes)
//   0x1000  completion ring (ION, 32 slots of 32 bytes)
//   0x2000  data area (to the end of the region)
//
// Request payload (24 bytes; slot type = operation):   u64 tag, u64 sector, u32 offset, u32 length
// Completion payload (24 bytes; slot type = operation): u64 tag, i32 status, u32 length, u32 offset, u32 0
// Status: 0 done; -5 the device failed or was disabled; -22 a bad request (operation, range, offset).

public enum DeviceChannelLayout {
  public static let magic: UInt32 = 0x3156_4452  // "RDV1"
  public static let magicOffset = 0x00
  public static let kindOffset = 0x04
  public static let stateOffset = 0x06
  public static let dataOffsetOffset = 0x08
  public static let dataSizeOffset = 0x0C
  public static let infoOffset = 0x10
  public static let unitOffset = 0x18
  public static let requestRingOffset = 0x100
  public static let completionRingOffset = 0x1000
  public static let dataOffset = 0x2000
  public static let ringBytes = 0x0F00
  public static let slotSize = 32
  public static let slotCount = 32
  public static let payloadSize = 24

  public static let kindBlock: UInt16 = 1
  public static let kindNet: UInt16 = 2
  public static let stateReady: UInt16 = 1
  public static let stateFailed: UInt16 = 2

  public static let sectorSize = 512
  public static let maxFrame = 1514
}

public enum DeviceOp {
  public static let read: UInt32 = 1
  public static let write: UInt32 = 2
  public static let flush: UInt32 = 3
  /// net: send the frame at offset/length.
  public static let transmit: UInt32 = 16
  /// net: a buffer at offset/length the kernel may fill with one received frame.
  public static let receive: UInt32 = 17
}

public enum DeviceStatus {
  public static let ok: Int32 = 0
  public static let io: Int32 = -5
  public static let invalid: Int32 = -22
}

public struct DeviceRequest: Equatable, Sendable {
  public var op: UInt32
  public var tag: UInt64
  public var sector: UInt64
  public var offset: UInt32
  public var length: UInt32

  public init(op: UInt32, tag: UInt64, sector: UInt64 = 0, offset: UInt32, length: UInt32) {
    self.op = op
    self.tag = tag
    self.sector = sector
    self.offset = offset
    self.length = length
  }

  public func encode(_ p: UnsafeMutableRawBufferPointer) {
    guard let b = p.baseAddress, p.count >= DeviceChannelLayout.payloadSize else { return }
    b.storeBytes(of: tag.littleEndian, toByteOffset: 0, as: UInt64.self)
    b.storeBytes(of: sector.littleEndian, toByteOffset: 8, as: UInt64.self)
    b.storeBytes(of: offset.littleEndian, toByteOffset: 16, as: UInt32.self)
    b.storeBytes(of: length.littleEndian, toByteOffset: 20, as: UInt32.self)
  }

  /// Nil when the payload is too short to be a request (peer input: never trusted).
  public static func decode(op: UInt32, _ p: UnsafeRawBufferPointer) -> DeviceRequest? {
    guard let b = p.baseAddress, p.count >= DeviceChannelLayout.payloadSize else { return nil }
    return DeviceRequest(op: op, tag: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                         sector: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                         offset: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt32.self)),
                         length: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
  }
}

public struct DeviceCompletion: Equatable, Sendable {
  public var op: UInt32
  public var tag: UInt64
  public var status: Int32
  public var length: UInt32
  public var offset: UInt32

  public init(op: UInt32, tag: UInt64, status: Int32, length: UInt32 = 0, offset: UInt32 = 0) {
    self.op = op
    self.tag = tag
    self.status = status
    self.length = length
    self.offset = offset
  }

  public func encode(_ p: UnsafeMutableRawBufferPointer) {
    guard let b = p.baseAddress, p.count >= DeviceChannelLayout.payloadSize else { return }
    b.storeBytes(of: tag.littleEndian, toByteOffset: 0, as: UInt64.self)
    b.storeBytes(of: status.littleEndian, toByteOffset: 8, as: Int32.self)
    b.storeBytes(of: length.littleEndian, toByteOffset: 12, as: UInt32.self)
    b.storeBytes(of: offset.littleEndian, toByteOffset: 16, as: UInt32.self)
    b.storeBytes(of: UInt32(0), toByteOffset: 20, as: UInt32.self)
  }

  public static func decode(op: UInt32, _ p: UnsafeRawBufferPointer) -> DeviceCompletion? {
    guard let b = p.baseAddress, p.count >= DeviceChannelLayout.payloadSize else { return nil }
    return DeviceCompletion(op: op, tag: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                            status: Int32(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: Int32.self)),
                            length: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
                            offset: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt32.self)))
  }
}
