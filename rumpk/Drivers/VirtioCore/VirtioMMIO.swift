// The VirtIO-MMIO transport, version 2 ("modern", VirtIO 1.x §4.2.2): identification, reset, the
// status handshake, feature negotiation (VIRTIO_F_VERSION_1 is required) and queue setup with 64-bit
// queue addresses. Legacy (version 1) devices are refused with a hint: QEMU 7.2 makes them modern
// with `-global virtio-mmio.force-legacy=false` (rumpkctl run passes it).

import _Volatile

public enum VirtioDeviceID: UInt32 {
  case net = 1
  case block = 2
  case console = 3
  case entropy = 4
}

public enum VirtioStatus {
  public static let acknowledge: UInt32 = 1
  public static let driver: UInt32 = 2
  public static let driverOK: UInt32 = 4
  public static let featuresOK: UInt32 = 8
  public static let needsReset: UInt32 = 64
  public static let failed: UInt32 = 128
}

public enum VirtioFeature {
  /// VIRTIO_F_VERSION_1: bit 32, the device follows VirtIO 1.x (little-endian, modern layouts).
  public static let version1: UInt64 = 1 << 32
}

public struct VirtioMMIO {
  public static let magic: UInt32 = 0x7472_6976  // "virt"
  /// The bytes a device-tree reg must cover: the transport registers and the device configuration
  /// space the drivers read (QEMU's slots are this size).
  public static let registerBytes: UInt64 = 0x200

  enum Reg {
    static let magic: UInt = 0x000
    static let version: UInt = 0x004
    static let deviceID: UInt = 0x008
    static let vendorID: UInt = 0x00C
    static let deviceFeatures: UInt = 0x010
    static let deviceFeaturesSel: UInt = 0x014
    static let driverFeatures: UInt = 0x020
    static let driverFeaturesSel: UInt = 0x024
    static let queueSel: UInt = 0x030
    static let queueNumMax: UInt = 0x034
    static let queueNum: UInt = 0x038
    static let queueReady: UInt = 0x044
    static let queueNotify: UInt = 0x050
    static let interruptStatus: UInt = 0x060
    static let interruptACK: UInt = 0x064
    static let status: UInt = 0x070
    static let queueDescLow: UInt = 0x080
    static let queueDescHigh: UInt = 0x084
    static let queueDriverLow: UInt = 0x090
    static let queueDriverHigh: UInt = 0x094
    static let queueDeviceLow: UInt = 0x0A0
    static let queueDeviceHigh: UInt = 0x0A4
    static let configGeneration: UInt = 0x0FC
    static let config: UInt = 0x100
  }

  public let base: UInt

  public init(base: UInt) { self.base = base }

  @inline(__always)
  func read(_ offset: UInt) -> UInt32 { VolatileMappedRegister<UInt32>(unsafeBitPattern: base + offset).load() }

  @inline(__always)
  func write(_ offset: UInt, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base + offset).store(value)
  }

  /// What sits in this slot: the device id (0 = empty slot), or nil when it is not a virtio-mmio
  /// transport at all.
  public func identify() -> (version: UInt32, device: UInt32)? {
    guard read(Reg.magic) == VirtioMMIO.magic else { return nil }
    return (read(Reg.version), read(Reg.deviceID))
  }

  /// Writes 0 to the status register and waits (boundedly) until the device reads back 0: the device
  /// forgets its queues and stops using driver memory.
  public func reset() {
    write(Reg.status, 0)
    var spins = 0
    while read(Reg.status) != 0 && spins < 1_000_000 { spins += 1 }
  }

  public var status: UInt32 { read(Reg.status) }

  /// Marks the device FAILED (the driver gave up on it); the device may stop or ignore it.
  public func markFailed() { write(Reg.status, read(Reg.status) | VirtioStatus.failed) }

  public enum StartError: Error { case notModern, noVersion1, featuresRefused }

  /// Reset, ACKNOWLEDGE, DRIVER, negotiate: accepts `wanted` ∩ offered, which must include
  /// VERSION_1, then FEATURES_OK and checks the device kept it. Answers the accepted features.
  /// Queues come next (`setupQueue`), then `driverOK()`.
  public func begin(wanted: UInt64) throws(StartError) -> UInt64 {
    guard read(Reg.version) == 2 else { throw .notModern }
    reset()
    write(Reg.status, VirtioStatus.acknowledge)
    write(Reg.status, VirtioStatus.acknowledge | VirtioStatus.driver)
    write(Reg.deviceFeaturesSel, 0)
    var offered = UInt64(read(Reg.deviceFeatures))
    write(Reg.deviceFeaturesSel, 1)
    offered |= UInt64(read(Reg.deviceFeatures)) << 32
    guard offered & VirtioFeature.version1 != 0 else {
      write(Reg.status, VirtioStatus.failed)
      throw .noVersion1
    }
    let accepted = offered & (wanted | VirtioFeature.version1)
    write(Reg.driverFeaturesSel, 0)
    write(Reg.driverFeatures, UInt32(truncatingIfNeeded: accepted))
    write(Reg.driverFeaturesSel, 1)
    write(Reg.driverFeatures, UInt32(truncatingIfNeeded: accepted >> 32))
    write(Reg.status, VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK)
    guard read(Reg.status) & VirtioStatus.featuresOK != 0 else {
      write(Reg.status, VirtioStatus.failed)
      throw .featuresRefused
    }
    return accepted
  }

  /// The largest size queue `index` supports (0: the queue does not exist).
  public func queueMax(_ index: UInt32) -> UInt32 {
    write(Reg.queueSel, index)
    return read(Reg.queueNumMax)
  }

  /// Hands queue `index` of `size` entries to the device and marks it ready. Assumes the queue was not
  /// ready and the addresses are physical (identity-mapped cell RAM).
  public func setupQueue(_ index: UInt32, size: UInt32, desc: UInt64, avail: UInt64, used: UInt64) {
    write(Reg.queueSel, index)
    write(Reg.queueNum, size)
    write(Reg.queueDescLow, UInt32(truncatingIfNeeded: desc))
    write(Reg.queueDescHigh, UInt32(truncatingIfNeeded: desc >> 32))
    write(Reg.queueDriverLow, UInt32(truncatingIfNeeded: avail))
    write(Reg.queueDriverHigh, UInt32(truncatingIfNeeded: avail >> 32))
    write(Reg.queueDeviceLow, UInt32(truncatingIfNeeded: used))
    write(Reg.queueDeviceHigh, UInt32(truncatingIfNeeded: used >> 32))
    write(Reg.queueReady, 1)
  }

  /// The last handshake step: the device may now use its queues.
  public func driverOK() {
    write(Reg.status, read(Reg.status) | VirtioStatus.driverOK)
  }

  public func notify(_ queue: UInt32) { write(Reg.queueNotify, queue) }

  /// Acknowledges whatever interrupt causes are pending (for polling drivers; an interrupt handler
  /// would do the same in phase one).
  public func acknowledgeInterrupts() {
    let s = read(Reg.interruptStatus)
    if s != 0 { write(Reg.interruptACK, s) }
  }

  /// Device-specific configuration, byte `offset` (read with 8-bit accesses, as the spec allows for
  /// byte fields) and 32-bit words.
  public func config8(_ offset: UInt) -> UInt8 {
    VolatileMappedRegister<UInt8>(unsafeBitPattern: base + Reg.config + offset).load()
  }

  public func config32(_ offset: UInt) -> UInt32 { read(Reg.config + offset) }

  /// A 64-bit config field read consistently (config generation unchanged across both halves).
  public func config64(_ offset: UInt) -> UInt64 {
    while true {
      let g = read(Reg.configGeneration)
      let v = UInt64(read(Reg.config + offset)) | UInt64(read(Reg.config + offset + 4)) << 32
      if read(Reg.configGeneration) == g { return v }
    }
  }
}
