// virtio-net (device id 1): serves the "/dev/net0" channel. Queue 0 receives, queue 1 transmits.
// Every chain is [12-byte virtio_net_hdr in kernel scratch, the NPL's data-area bytes]: a receive
// buffer the NPL posted is filled by the device directly, a frame the NPL wrote is sent from where
// it lies. No offloads are negotiated, so the header is all zeroes on transmit.

import RumpkION
import RumpkKernel
import VirtioCore

final class NetDriver {
  static let macFeature: UInt64 = 1 << 5  // VIRTIO_NET_F_MAC
  static let headerBytes: UInt32 = 12     // virtio_net_hdr with num_buffers (VERSION_1)
  static let dataBytes = 32 * 1024

  let mmio: VirtioMMIO
  var rx: Virtqueue
  var tx: Virtqueue
  var server: ChannelServer
  var scratch: ScratchSlots
  var pending = InlineArray<64, DeviceRequest>(repeating: DeviceRequest(op: 0, tag: 0, offset: 0, length: 0))
  var alive = true

  init?(_ mmio: VirtioMMIO) {
    guard let features = try? mmio.begin(wanted: NetDriver.macFeature),
          let rx = Virtqueue.make(mmio, index: 0, limit: 16),
          let tx = Virtqueue.make(mmio, index: 1, limit: 16),
          let scratch = ScratchSlots(),
          let server = ChannelServer.create("/dev/net0", kind: DeviceChannelLayout.kindNet, dataBytes: NetDriver.dataBytes)
    else {
      mmio.markFailed()
      return nil
    }
    self.mmio = mmio
    self.rx = rx
    self.tx = tx
    self.scratch = scratch
    self.server = server
    var mac: UInt64 = 0
    if features & NetDriver.macFeature != 0 {
      for i in 0..<6 { mac |= UInt64(mmio.config8(UInt(i))) << (8 * UInt64(i)) }
    }
    mmio.driverOK()
    self.server.publish(info: mac, unit: UInt32(DeviceChannelLayout.maxFrame))
  }

  func poll() -> Bool {
    server.flush()
    var work = false
    if alive {
      mmio.acknowledgeInterrupts()
      let trusted = rx.harvest { token, length in
        finish(Int(token), length: length >= NetDriver.headerBytes ? length - NetDriver.headerBytes : 0)
        work = true
        return true
      } && tx.harvest { token, _ in
        finish(Int(token), length: pending[Int(token)].length)
        work = true
        return true
      }
      if !trusted { disable() }
    }
    while server.room > rx.book.inFlight + tx.book.inFlight + 1, rx.book.freeCount >= 2, tx.book.freeCount >= 2,
          let r = server.next() {
      work = true
      start(r)
    }
    if alive {
      rx.kick(mmio)
      tx.kick(mmio)
    }
    return work
  }

  func finish(_ slot: Int, length: UInt32) {
    let r = pending[slot]
    server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.ok, length: length, offset: r.offset))
    scratch.give(slot)
  }

  func start(_ r: DeviceRequest) {
    guard alive else { return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.io)) }
    guard r.op == DeviceOp.transmit || r.op == DeviceOp.receive, let data = server.dataAddress(r.offset, r.length),
          r.op == DeviceOp.receive || r.length <= UInt32(DeviceChannelLayout.maxFrame) else {
      return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.invalid))
    }
    guard let slot = scratch.take() else { return server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.io)) }
    scratch.address(slot).initializeMemory(as: UInt8.self, repeating: 0, count: Int(NetDriver.headerBytes))
    pending[slot] = r
    let receive = r.op == DeviceOp.receive
    let header = VirtioBuffer(scratch.physical(slot), NetDriver.headerBytes, deviceWrites: receive)
    let body = VirtioBuffer(data, r.length, deviceWrites: receive)
    let ok = receive ? rx.submit(header, body, token: UInt64(slot)) : tx.submit(header, body, token: UInt64(slot))
    if !ok {
      scratch.give(slot)
      server.complete(DeviceCompletion(op: r.op, tag: r.tag, status: DeviceStatus.io))
    }
  }

  func disable() {
    alive = false
    Devices.reportFault("net0", mmio, rx.book.fault ?? tx.book.fault)
    mmio.reset()
    mmio.markFailed()
    server.markFailed()
    rx.book.forEachInFlight { token in server.complete(DeviceCompletion(op: DeviceOp.receive, tag: pending[Int(token & 63)].tag, status: DeviceStatus.io)) }
    tx.book.forEachInFlight { token in server.complete(DeviceCompletion(op: DeviceOp.transmit, tag: pending[Int(token & 63)].tag, status: DeviceStatus.io)) }
  }
}
