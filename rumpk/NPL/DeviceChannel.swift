// An NPL's end of a device channel (DeviceChannelLayout, K5): open "/dev/blk0" or "/dev/net0" with
// map(MAP_NAMED | write), attach to the request ring as its producer and to the completion ring as
// its consumer, and move data through the data area. Only syscalls of the ABI are used (map, yield);
// the rings are the same ION views the kernel uses. Everything read from the region is treated as
// peer input.

import RumpkABI
import RumpkION

public struct DeviceChannel: ~Copyable {
  /// map flags of ABI v1: writable, and "the address argument is a channel name".
  static let mapWrite: UInt64 = 1 << 0
  static let mapNamed: UInt64 = 1 << 8

  public let base: UnsafeMutableRawPointer
  /// The data area: requests name bytes of it by offset.
  public let data: UnsafeMutableRawBufferPointer
  public let kind: UInt16
  /// block: capacity in sectors; net: MAC address in bytes 0-5.
  public let info: UInt64
  /// block: sector size; net: largest frame.
  public let unit: UInt32
  var requests: IONProducer
  var completions: IONConsumer
  var nextTag: UInt64 = 1

  /// Maps channel `name` read-only, to look at its header (kind, state, capacity) without posting
  /// requests; the pages are read-only in user mode (K9). Nil when it does not exist or the caller
  /// lacks the ring promise or the unveil.
  public static func mapReadOnly(_ name: StaticString) -> UnsafeRawPointer? {
    #if hasFeature(Embedded)
    if linkDeviceDrivers { rumpkDevicesStart(0) }  // never runs; see linkDeviceDrivers
    #endif
    let r = NPL.map(hint: UInt64(UInt(bitPattern: name.utf8Start)), length: UInt64(name.utf8CodeUnitCount),
                    flags: DeviceChannel.mapNamed)
    return r > 0 ? UnsafeRawPointer(bitPattern: UInt(r)) : nil
  }

  /// Opens the channel `name`. Nil when it does not exist (no such device: map says ENOENT), the
  /// caller lacks the ring promise or the unveil, or the region is not a ready device channel.
  public init?(_ name: StaticString) {
    #if hasFeature(Embedded)
    if linkDeviceDrivers { rumpkDevicesStart(0) }  // never runs; see linkDeviceDrivers
    #endif
    let r = NPL.map(hint: UInt64(UInt(bitPattern: name.utf8Start)), length: UInt64(name.utf8CodeUnitCount),
                    flags: DeviceChannel.mapNamed | DeviceChannel.mapWrite)
    guard r > 0, let base = UnsafeMutableRawPointer(bitPattern: UInt(r)) else { return nil }
    guard UInt32(littleEndian: base.load(fromByteOffset: DeviceChannelLayout.magicOffset, as: UInt32.self)) == DeviceChannelLayout.magic
    else { return nil }
    let dataOffset = Int(UInt32(littleEndian: base.load(fromByteOffset: DeviceChannelLayout.dataOffsetOffset, as: UInt32.self)))
    let dataSize = Int(UInt32(littleEndian: base.load(fromByteOffset: DeviceChannelLayout.dataSizeOffset, as: UInt32.self)))
    guard dataOffset == DeviceChannelLayout.dataOffset, dataSize <= 1 << 24 else { return nil }
    let req = UnsafeMutableRawBufferPointer(start: base + DeviceChannelLayout.requestRingOffset, count: DeviceChannelLayout.ringBytes)
    let cmp = UnsafeMutableRawBufferPointer(start: base + DeviceChannelLayout.completionRingOffset, count: DeviceChannelLayout.ringBytes)
    guard let producer = try? IONProducer(attaching: req), let consumer = try? IONConsumer(attaching: cmp) else { return nil }
    self.base = base
    data = UnsafeMutableRawBufferPointer(start: base + dataOffset, count: dataSize)
    kind = UInt16(littleEndian: base.load(fromByteOffset: DeviceChannelLayout.kindOffset, as: UInt16.self))
    info = UInt64(littleEndian: base.load(fromByteOffset: DeviceChannelLayout.infoOffset, as: UInt64.self))
    unit = UInt32(littleEndian: base.load(fromByteOffset: DeviceChannelLayout.unitOffset, as: UInt32.self))
    requests = producer
    completions = consumer
  }

  /// True once the kernel disabled the device (it misbehaved); requests then fail with -5.
  public var deviceFailed: Bool {
    UInt16(littleEndian: base.load(fromByteOffset: DeviceChannelLayout.stateOffset, as: UInt16.self)) == DeviceChannelLayout.stateFailed
  }

  /// Queues a request; answers its tag, or nil when the request ring is full or closed.
  public mutating func submit(_ op: UInt32, sector: UInt64 = 0, offset: UInt32, length: UInt32) -> UInt64? {
    let request = DeviceRequest(op: op, tag: nextTag, sector: sector, offset: offset, length: length)
    let r = requests.tryPublish(type: op, length: DeviceChannelLayout.payloadSize) { p in request.encode(p) }
    guard r == .published else { return nil }
    nextTag &+= 1
    return request.tag
  }

  /// The next completion, if one is waiting.
  public mutating func poll() -> DeviceCompletion? {
    var c: DeviceCompletion? = nil
    _ = completions.tryConsume { m in c = DeviceCompletion.decode(op: m.type, m.payload) }
    return c
  }

  /// Submits one request and yields until its completion arrives (completions for other tags are
  /// dropped: use submit/poll when several are in flight). Answers the completion's status, or -5
  /// when the rings are unusable.
  public mutating func perform(_ op: UInt32, sector: UInt64 = 0, offset: UInt32, length: UInt32) -> DeviceCompletion {
    var tag: UInt64? = nil
    while tag == nil {
      tag = submit(op, sector: sector, offset: offset, length: length)
      if tag == nil {
        if requests.isClosed { return DeviceCompletion(op: op, tag: 0, status: DeviceStatus.io) }
        _ = NPL.yield()
      }
    }
    var idle = IdleBackoff()
    while true {
      if let c = poll() {
        if c.tag == tag { return c }
        idle = IdleBackoff()
        continue
      }
      if completions.isClosed { return DeviceCompletion(op: op, tag: 0, status: DeviceStatus.io) }
      idle.pause()
    }
  }
}

/// How an NPL waits for a device completion without spinning: yield to other fibers for a few
/// rounds (a fast device answers within them), then sleep. The yield rings the kernel's doorbell,
/// so the device fiber sees the request; the kernel wakes a sleeping fiber as soon as a completion
/// is published on a channel it has open (K8), so the sleep's deadline only bounds a lost wake-up.
public struct IdleBackoff {
  public static let spinRounds = 16
  public static let sleepNanoseconds: UInt64 = 50_000_000
  var rounds = 0

  public init() {}

  /// One round of waiting.
  public mutating func pause() {
    if rounds < IdleBackoff.spinRounds {
      rounds += 1
      _ = NPL.yield()
    } else {
      _ = NPL.yield(until: NPL.time() &+ IdleBackoff.sleepNanoseconds)
    }
  }
}

#if hasFeature(Embedded)
/// The device drivers (RumpkVirtio) and this library are linked as lazy members (ld.lld --start-lib):
/// an image gets the drivers only when its guest opens a device channel, because only then is this
/// strong reference to the drivers' entry point linked in. Public, so no optimiser can prove it false.
nonisolated(unsafe) public var linkDeviceDrivers = false
@_silgen_name("rumpk_devices_start") func rumpkDevicesStart(_ deviceTree: UInt64)
#endif

/// Console output without String interpolation.
public enum Out {
  public static func put(_ s: StaticString) { NPL.write(s) }
  public static func bytes(_ b: UnsafeRawBufferPointer) { NPL.write(b) }

  public static func dec(_ v: UInt64) { number(v, radix: 10) }
  public static func hex(_ v: UInt64) { number(v, radix: 16) }

  static func number(_ v: UInt64, radix: UInt64) {
    Digits.with(v, radix: radix) { NPL.write($0) }
  }
}
