// virtio-console (device id 3): a second console sink. Queue 1 (transmitq of port 0) carries bytes
// to the host; the driver announces itself there at boot. Output is synchronous with a bounded wait
// (the UART stays the kernel's console; this one is for hosts that only listen to virtio).

import RumpkKernel
import RumpkPlatform

final class ConsoleDriver {
  let mmio: VirtioMMIO
  var tx: Virtqueue
  let buffer: UnsafeMutableRawPointer
  let physical: UInt64
  var alive = true

  init?(_ mmio: VirtioMMIO) {
    guard (try? mmio.begin(wanted: 0)) != nil, let tx = Virtqueue.make(mmio, index: 1, limit: 4),
          let page = WildAllocator.allocate(pages: 1) else {
      mmio.markFailed()
      return nil
    }
    self.mmio = mmio
    self.tx = tx
    physical = page
    buffer = UnsafeMutableRawPointer(bitPattern: UInt(page))!
    mmio.driverOK()
  }

  /// Sends up to one page of `bytes`; waits at most 50 ms for the device. False when it failed.
  func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard alive, let src = bytes.baseAddress else { return false }
    let n = min(bytes.count, Int(pageSize))
    buffer.copyMemory(from: src, byteCount: n)
    guard tx.submit(VirtioBuffer(physical, UInt32(n), deviceWrites: false), token: 0) else { return false }
    tx.kick(mmio)
    let deadline = rumpk_platform_time_ns() &+ 50_000_000
    var done = false
    while !done && rumpk_platform_time_ns() < deadline {
      if !tx.harvest({ _, _ in done = true; return true }) {
        alive = false
        Devices.reportFault("console", mmio, tx.book.fault)
        mmio.reset()
        mmio.markFailed()
        return false
      }
    }
    return done
  }

  func write(_ s: StaticString) -> Bool {
    write(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
  }
}
