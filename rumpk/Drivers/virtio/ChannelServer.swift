// The kernel end of one device channel (DeviceChannelLayout, K5): the named region, the request ring
// it consumes and the completion ring it produces. Completions that do not fit into the ring right
// now wait in a small stash, so the driver never has to drop one; drivers accept a request only while
// the stash could hold its completion, which bounds everything in flight.

import RumpkION
import RumpkKernel
import VirtioCore

struct ChannelServer: ~Copyable {
  static let stashCapacity = 64
  let base: UnsafeMutableRawPointer
  let region: Region
  let dataBytes: Int
  var requests: IONConsumer
  var completions: IONProducer
  var stash = InlineArray<64, DeviceCompletion>(repeating: DeviceCompletion(op: 0, tag: 0, status: 0))
  var stashHead = 0
  var stashCount = 0
  var closedReported = false

  /// Carves a region of header + rings + `dataBytes` from Wild, formats it and publishes it as `name`.
  static func create(_ name: StaticString, kind: UInt16, dataBytes: Int) -> ChannelServer? {
    let bytes = DeviceChannelLayout.dataOffset + dataBytes
    let pages = (bytes + Int(pageSize) - 1) / Int(pageSize)
    guard let address = WildAllocator.allocate(pages: pages) else { return nil }
    let base = UnsafeMutableRawPointer(bitPattern: UInt(address))!
    base.initializeMemory(as: UInt8.self, repeating: 0, count: pages * Int(pageSize))
    let req = UnsafeMutableRawBufferPointer(start: base + DeviceChannelLayout.requestRingOffset, count: DeviceChannelLayout.ringBytes)
    let cmp = UnsafeMutableRawBufferPointer(start: base + DeviceChannelLayout.completionRingOffset, count: DeviceChannelLayout.ringBytes)
    do throws(IONSetupError) {
      try IONRing.format(at: req, slotSize: DeviceChannelLayout.slotSize, slotCount: DeviceChannelLayout.slotCount, channel: UInt64(kind) << 8)
      try IONRing.format(at: cmp, slotSize: DeviceChannelLayout.slotSize, slotCount: DeviceChannelLayout.slotCount, channel: UInt64(kind) << 8 | 1)
      let region = Region(base: address, size: UInt64(pages) * pageSize)
      let server = ChannelServer(base: base, region: region, dataBytes: dataBytes,
                                 requests: try IONConsumer(attaching: req), completions: try IONProducer(attaching: cmp))
      base.storeBytes(of: kind.littleEndian, toByteOffset: DeviceChannelLayout.kindOffset, as: UInt16.self)
      base.storeBytes(of: UInt32(DeviceChannelLayout.dataOffset).littleEndian, toByteOffset: DeviceChannelLayout.dataOffsetOffset, as: UInt32.self)
      base.storeBytes(of: UInt32(dataBytes).littleEndian, toByteOffset: DeviceChannelLayout.dataSizeOffset, as: UInt32.self)
      guard Channels.register(name, region) else {
        WildAllocator.free(address, pages: pages)
        return nil
      }
      return server
    } catch {
      WildAllocator.free(address, pages: pages)
      return nil
    }
  }

  init(base: UnsafeMutableRawPointer, region: Region, dataBytes: Int, requests: consuming IONConsumer,
       completions: consuming IONProducer) {
    self.base = base
    self.region = region
    self.dataBytes = dataBytes
    self.requests = requests
    self.completions = completions
  }

  /// Fills in the device facts and marks the channel ready (the magic goes last).
  func publish(info: UInt64, unit: UInt32) {
    base.storeBytes(of: info.littleEndian, toByteOffset: DeviceChannelLayout.infoOffset, as: UInt64.self)
    base.storeBytes(of: unit.littleEndian, toByteOffset: DeviceChannelLayout.unitOffset, as: UInt32.self)
    base.storeBytes(of: DeviceChannelLayout.stateReady.littleEndian, toByteOffset: DeviceChannelLayout.stateOffset, as: UInt16.self)
    base.storeBytes(of: DeviceChannelLayout.magic.littleEndian, toByteOffset: DeviceChannelLayout.magicOffset, as: UInt32.self)
  }

  func markFailed() {
    base.storeBytes(of: DeviceChannelLayout.stateFailed.littleEndian, toByteOffset: DeviceChannelLayout.stateOffset, as: UInt16.self)
  }

  /// The physical address of data-area bytes [offset, offset+length), or nil when the range is empty
  /// or leaves the data area. Requests are peer input: this is the only way to a DMA address.
  func dataAddress(_ offset: UInt32, _ length: UInt32) -> UInt64? {
    guard length > 0, UInt64(offset) + UInt64(length) <= UInt64(dataBytes) else { return nil }
    return UInt64(UInt(bitPattern: base)) + UInt64(DeviceChannelLayout.dataOffset) + UInt64(offset)
  }

  /// Completions the stash can still take.
  var room: Int { ChannelServer.stashCapacity - stashCount }

  /// The next request, or nil when none is waiting or the ring closed. A request too short to decode
  /// is answered `invalid` here.
  mutating func next() -> DeviceRequest? {
    var request: DeviceRequest? = nil
    var malformed = false
    let r = requests.tryConsume { m in
      request = DeviceRequest.decode(op: m.type, m.payload)
      if request == nil { malformed = true }
    }
    if r == .closed && !closedReported {
      closedReported = true
      Log.put("virtio: an NPL broke a device channel's request ring; channel closed\n")
    }
    if malformed { complete(DeviceCompletion(op: 0, tag: 0, status: DeviceStatus.invalid)) }
    return request
  }

  /// Queues a completion: straight into the ring when it has room and nothing waits before it.
  mutating func complete(_ c: DeviceCompletion) {
    if stashCount == 0 && publish(c) { return }
    guard stashCount < ChannelServer.stashCapacity else { return }  // callers keep room; never reached
    stash[(stashHead + stashCount) % ChannelServer.stashCapacity] = c
    stashCount += 1
  }

  /// Moves stashed completions into the ring while it has room.
  mutating func flush() {
    while stashCount > 0 && publish(stash[stashHead]) {
      stashHead = (stashHead + 1) % ChannelServer.stashCapacity
      stashCount -= 1
    }
  }

  /// Publishes one completion and wakes the fibers sleeping with this channel open (they yield with a
  /// deadline while they wait; K8).
  mutating func publish(_ c: DeviceCompletion) -> Bool {
    let r = completions.tryPublish(type: c.op, length: DeviceChannelLayout.payloadSize) { p in c.encode(p) }
    if r == .published { Scheduler.wakeSleepers(holding: region) }
    return r != .full
  }
}

/// Small DMA scratch records (request headers, status bytes), 32 bytes each, in one Wild page,
/// handed out by a bitmap. The token of a virtqueue chain is its record's index.
struct ScratchSlots {
  let base: UnsafeMutableRawPointer
  var free: UInt64 = ~0

  init?() {
    guard let page = WildAllocator.allocate(pages: 1) else { return nil }
    base = UnsafeMutableRawPointer(bitPattern: UInt(page))!
    base.initializeMemory(as: UInt8.self, repeating: 0, count: Int(pageSize))
  }

  mutating func take() -> Int? {
    guard free != 0 else { return nil }
    let i = free.trailingZeroBitCount
    free &= ~(1 << UInt64(i))
    return i
  }

  mutating func give(_ i: Int) { if i >= 0 && i < 64 { free |= 1 << UInt64(i) } }

  func address(_ i: Int) -> UnsafeMutableRawPointer { base + 32 * i }
  func physical(_ i: Int, _ offset: Int = 0) -> UInt64 { UInt64(UInt(bitPattern: base + 32 * i + offset)) }
}
