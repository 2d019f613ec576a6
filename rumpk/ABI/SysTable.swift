// The SysTable (DESIGN §3.1): a 240-byte record at a fixed address that is the whole interface between
// cell code and the kernel. Layout is by explicit offsets, never by Swift struct layout, so the bytes
// are the contract and tests can assert every field.

public enum SysTableLayout {
  public static let magic: UInt32 = 0x4B50_4D52  // "RMPK"
  public static let size: UInt16 = 240
  public static let abiVersion: UInt16 = 1

  public static let magicOffset = 0x00
  public static let sizeOffset = 0x04
  public static let abiOffset = 0x06
  public static let syscallsOffset = 0x08
  public static let syscallCount = 12
  public static let metaSlotOffset = 0x68
  public static let ringsOffset = 0x70
  public static let ringDescriptorSize = 24
  public static let ringDescriptorCount = 4
  public static let framebufferOffset = 0xD0
  public static let framebufferSize = 24
  public static let reservedOffset = 0xE8

  /// Where cell code finds the SysTable. Hosted mode maps the aarch64 address into the Linux process.
  public static var address: UInt {
    #if arch(riscv64)
    return 0x8300_0000
    #else
    return 0x5000_0000
    #endif
  }
}

/// The four ring slots of the SysTable, in table order.
public enum SysTableRing: Int, CaseIterable, Sendable {
  case consoleIn = 0
  case consoleOut = 1
  case events = 2
  case interCellBus = 3
}

/// One 24-byte ring descriptor: u64 base, u32 slot size, u32 slot count, u32 channel id, u32 flags.
public struct RingDescriptor: Equatable, Sendable {
  public var base: UInt64
  public var slotSize: UInt32
  public var slotCount: UInt32
  public var channelID: UInt32
  public var flags: UInt32

  public init(base: UInt64 = 0, slotSize: UInt32 = 0, slotCount: UInt32 = 0, channelID: UInt32 = 0, flags: UInt32 = 0) {
    self.base = base
    self.slotSize = slotSize
    self.slotCount = slotCount
    self.channelID = channelID
    self.flags = flags
  }

  public static let baseOffset = 0x00
  public static let slotSizeOffset = 0x08
  public static let slotCountOffset = 0x0C
  public static let channelIDOffset = 0x10
  public static let flagsOffset = 0x14
}

/// Framebuffer description: u64 base, u32 width, u32 height, u32 stride, u32 pixel format.
public struct FramebufferDescriptor: Equatable, Sendable {
  public var base: UInt64
  public var width: UInt32
  public var height: UInt32
  public var stride: UInt32
  public var pixelFormat: UInt32

  public init(base: UInt64 = 0, width: UInt32 = 0, height: UInt32 = 0, stride: UInt32 = 0, pixelFormat: UInt32 = 0) {
    self.base = base
    self.width = width
    self.height = height
    self.stride = stride
    self.pixelFormat = pixelFormat
  }
}

/// A view of a SysTable in memory. It holds an address, not the bytes: the table lives where the ABI
/// says, and every access goes through its documented offset.
public struct SysTable {
  public let base: UnsafeMutableRawPointer

  public init(base: UnsafeMutableRawPointer) {
    self.base = base
  }

  /// The table at the fixed ABI address of this architecture.
  public static var fixed: SysTable {
    SysTable(base: UnsafeMutableRawPointer(bitPattern: SysTableLayout.address)!)
  }

  public var magic: UInt32 { load(UInt32.self, SysTableLayout.magicOffset) }
  public var size: UInt16 { load(UInt16.self, SysTableLayout.sizeOffset) }
  public var abi: UInt16 { load(UInt16.self, SysTableLayout.abiOffset) }
  public var metaSlot: UInt64 {
    get { load(UInt64.self, SysTableLayout.metaSlotOffset) }
    nonmutating set { store(newValue, SysTableLayout.metaSlotOffset) }
  }

  /// True when the header names this ABI: right magic, size and version.
  public var isValid: Bool {
    magic == SysTableLayout.magic && size == SysTableLayout.size && abi == SysTableLayout.abiVersion
  }

  /// Zeroes the table and writes the header. Entry points, rings and framebuffer start empty.
  public func format() {
    base.initializeMemory(as: UInt8.self, repeating: 0, count: Int(SysTableLayout.size))
    store(SysTableLayout.magic, SysTableLayout.magicOffset)
    store(SysTableLayout.size, SysTableLayout.sizeOffset)
    store(SysTableLayout.abiVersion, SysTableLayout.abiOffset)
  }

  public func entry(_ call: Syscall) -> UInt64 {
    load(UInt64.self, SysTableLayout.syscallsOffset + call.rawValue * 8)
  }

  public func setEntry(_ call: Syscall, _ address: UInt64) {
    store(address, SysTableLayout.syscallsOffset + call.rawValue * 8)
  }

  public func ring(_ which: SysTableRing) -> RingDescriptor {
    let o = SysTableLayout.ringsOffset + which.rawValue * SysTableLayout.ringDescriptorSize
    return RingDescriptor(
      base: load(UInt64.self, o + RingDescriptor.baseOffset),
      slotSize: load(UInt32.self, o + RingDescriptor.slotSizeOffset),
      slotCount: load(UInt32.self, o + RingDescriptor.slotCountOffset),
      channelID: load(UInt32.self, o + RingDescriptor.channelIDOffset),
      flags: load(UInt32.self, o + RingDescriptor.flagsOffset))
  }

  public func setRing(_ which: SysTableRing, _ d: RingDescriptor) {
    let o = SysTableLayout.ringsOffset + which.rawValue * SysTableLayout.ringDescriptorSize
    store(d.base, o + RingDescriptor.baseOffset)
    store(d.slotSize, o + RingDescriptor.slotSizeOffset)
    store(d.slotCount, o + RingDescriptor.slotCountOffset)
    store(d.channelID, o + RingDescriptor.channelIDOffset)
    store(d.flags, o + RingDescriptor.flagsOffset)
  }

  public var framebuffer: FramebufferDescriptor {
    get {
      let o = SysTableLayout.framebufferOffset
      return FramebufferDescriptor(
        base: load(UInt64.self, o), width: load(UInt32.self, o + 8), height: load(UInt32.self, o + 12),
        stride: load(UInt32.self, o + 16), pixelFormat: load(UInt32.self, o + 20))
    }
    nonmutating set {
      let o = SysTableLayout.framebufferOffset
      store(newValue.base, o)
      store(newValue.width, o + 8)
      store(newValue.height, o + 12)
      store(newValue.stride, o + 16)
      store(newValue.pixelFormat, o + 20)
    }
  }

  @inline(__always)
  func load<T: FixedWidthInteger>(_: T.Type, _ offset: Int) -> T {
    T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
  }

  @inline(__always)
  func store<T: FixedWidthInteger>(_ value: T, _ offset: Int) {
    base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
  }
}
