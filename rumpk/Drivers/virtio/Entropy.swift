// virtio-rng (device id 4): at boot, 64 bytes from the host's entropy source are mixed into the
// kernel CSPRNG (Entropy.seed), then the device is reset and its page returned. Bounded wait: a
// device that does not answer within 100 ms, or answers nonsense, is reported and left disabled.

import RumpkKernel
import RumpkPlatform
import VirtioCore

enum EntropyDevice {
  static let bytes: UInt32 = 64

  /// True when the CSPRNG was seeded from the device.
  static func seedKernel(_ mmio: VirtioMMIO) -> Bool {
    guard (try? mmio.begin(wanted: 0)) != nil, var queue = Virtqueue.make(mmio, index: 0, limit: 4),
          let page = WildAllocator.allocate(pages: 1) else {
      mmio.markFailed()
      return false
    }
    mmio.driverOK()
    let buffer = UnsafeMutableRawPointer(bitPattern: UInt(page))!
    buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Int(bytes))
    var got: UInt32 = 0
    var done = false
    if queue.submit(VirtioBuffer(page, bytes, deviceWrites: true), token: 0) {
      queue.kick(mmio)
      let deadline = rumpk_platform_time_ns() &+ 100_000_000
      while !done && rumpk_platform_time_ns() < deadline {
        let trusted = queue.harvest { _, length in
          got = length
          done = true
          return true
        }
        if !trusted {
          Devices.reportFault("rng", mmio, queue.book.fault)
          break
        }
      }
    }
    mmio.reset()
    if done && got > 0 {
      Entropy.seed(UnsafeRawBufferPointer(start: buffer, count: Int(got)))
      Log.put("virtio: rng seeded the kernel CSPRNG with ")
      Log.dec(UInt64(got))
      Log.put(" bytes\n")
    } else if !done {
      mmio.markFailed()
      Log.put("virtio: rng did not answer; disabled\n")
    }
    buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Int(bytes))
    // The queue page stays allocated: a device that ignored the reset could still write it.
    if done { WildAllocator.free(page, pages: 1) }
    return done && got > 0
  }
}
