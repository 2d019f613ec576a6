// virtio-blk (device id 2): serves the "/dev/blk0" channel. Each request becomes a three-descriptor
// chain (request header, the NPL's data-area bytes, status byte); data moves by DMA straight between
// the disk and the data area. Polled: `poll()` does everything and is what an interrupt would wake.

import RumpkION
import RumpkKernel
import VirtioCore

final class BlockDriver {
  static let flushFeature: UInt64 = 1 << 9  // VIRTIO_BLK_F_FLUSH
  static let dataBytes = 64 * 1024

  let mmio: VirtioMMIO
  var queue: Virtqueue
  var server: ChannelServer
  var scratch: ScratchSlots
  var pending = InlineArray<64, DeviceRequest>(repeating: DeviceRequest(op: 0, tag: 0, offset: 0, length: 0))
  let capacity: UInt64
  let canFlush: Bool
  var alive = true

  init?(_ mmio: VirtioMMIO) {
    guard let features = try? mmio.begin(wanted: BlockDriver.flushFeature),
          let queue = Virtqueue.make(mmio, index: 0, limit: 32),
          let scratch = ScratchSlots(),
          let server = ChannelServer.create("/dev/blk0", kind: DeviceChannelLayout.kindBlock, dataBytes: BlockDriver.dataBytes)
    else {
      mmio.markFailed()
      return nil
    }
    self.mmio = mmio
    self.queue = queue
    self.scratch = scratch
    self.server = server
    canFlush = features & BlockDriver.flushFeature != 0
    capacity = mmio.config64(0)
    mmio.driverOK()
    self.server.publish(info: capacity, unit: UInt32(DeviceChannelLayout.sectorSize))
  }

  /// One round of work: completions out, finished chains harvested, new requests in. True when
  /// anything happened (the caller yields rather than sleeps).
  func poll() -> Bool {
    server.flush()
    var work = false
    if alive {
      mmio.acknowledgeInterrupts()
      let trusted = queue.harvest { token, _ in
        let slot = Int(token)
        let r = pending[slot]
        let status = scratch.address(slot).load(fromByteOffset: 16, as: UInt8.self)
        server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: status == 0 ? DeviceStatus.ok : DeviceStatus.io,
                                         length: status == 0 ? r.length : 0, offset: r.offset))
        scratch.give(slot)
        work = true
        return true
      }
      if !trusted { disable() }
    }
    while server.room > queue.book.inFlight + 1, queue.book.freeCount >= 3, let r = server.next() {
      work = true
      start(r)
    }
    if alive { queue.kick(mmio) }
    return work
  }

  func start(_ r: DeviceRequest) {
    guard alive else { return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.io)) }
    let type: UInt32
    switch r.op {
    case DeviceOp.read: type = 0
    case DeviceOp.write: type = 1
    case DeviceOp.flush:
      guard canFlush else { return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.ok)) }
      type = 4
    default: return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.invalid))
    }
    let sectors = UInt64(r.length) / UInt64(DeviceChannelLayout.sectorSize)
    var data: UInt64 = 0
    if type != 4 {
      guard r.length % UInt32(DeviceChannelLayout.sectorSize) == 0, let d = server.dataAddress(r.offset, r.length),
            r.sector <= capacity, sectors <= capacity - r.sector else {
        return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.invalid))
      }
      data = d
    }
    guard let slot = scratch.take() else { return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.io)) }
    let h = scratch.address(slot)
    h.storeBytes(of: type.littleEndian, toByteOffset: 0, as: UInt32.self)
    h.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
    h.storeBytes(of: (type == 4 ? 0 : r.sector).littleEndian, toByteOffset: 8, as: UInt64.self)
    h.storeBytes(of: UInt8(0xFF), toByteOffset: 16, as: UInt8.self)
    pending[slot] = r
    let header = VirtioBuffer(scratch.physical(slot), 16, deviceWrites: false)
    let status = VirtioBuffer(scratch.physical(slot, 16), 1, deviceWrites: true)
    let ok = type == 4
      ? queue.submit(header, status, token: UInt64(slot))
      : queue.submit(header, VirtioBuffer(data, r.length, deviceWrites: type == 0), status, token: UInt64(slot))
    if !ok {
      scratch.give(slot)
      server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.io))
    }
  }

  /// The device broke the virtqueue protocol: stop it (reset ends its DMA into our memory), fail
  /// what was in flight, answer everything from now on with an I/O error.
  func disable() {
    alive = false
    Devices.reportFault("blk0", mmio, queue.book.fault)
    mmio.reset()
    mmio.markFailed()
    server.markFailed()
    queue.book.forEachInFlight { token in
      let r = pending[Int(token & 63)]
      server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.io))
    }
  }
}
