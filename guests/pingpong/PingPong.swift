// pingpong: two fibers and one ION ring, through the ABI and RumpkNPL only. The main fiber takes a
// page from the NPL heap (memory every fiber of the cell shares; a page from `map` belongs to the
// mapping fiber's partition alone, which EL0 enforces: docs/decisions/K6-el0-npls.md), formats a
// ring of 64 slots in it, starts a consumer fiber and publishes 10000 messages; the
// consumer folds them into a checksum (FNV-style: c = (c ^ v) * 0x100000001B3 over v = i * 0x9E3779B97F4A7C15)
// and prints it. Full and empty rings are answered with a yield: backpressure, nothing dropped.
// Expected: "pingpong: 10000 messages, checksum 0x…" with the value the test computes.

import RumpkABI
import RumpkION
import RumpkNPL

let messageCount: UInt64 = 10_000
let ringSlots = 64

@_cdecl("pingpong_consumer")
public func consumer(_ ringAddress: UInt64) {
  let memory = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(ringAddress)), count: 4096)
  guard var ring = try? IONConsumer(attaching: memory) else {
    Out.put("pingpong: consumer cannot attach\n")
    NPL.halt(1)
    return
  }
  var checksum: UInt64 = 0xCBF2_9CE4_8422_2325
  var received: UInt64 = 0
  var yields: UInt64 = 0
  while received < messageCount {
    let r = ring.tryConsume { m in
      guard m.type == 1, m.payload.count == 8 else { return }
      let v = UInt64(littleEndian: m.payload.loadUnaligned(as: UInt64.self))
      checksum = (checksum ^ v) &* 0x100_0000_01B3
    }
    switch r {
    case .consumed: received += 1
    case .empty:
      yields += 1
      _ = NPL.yield()
    case .closed:
      Out.put("pingpong: ring closed\n")
      NPL.halt(1)
      return
    }
  }
  Out.put("pingpong: ")
  Out.dec(received)
  Out.put(" messages, checksum 0x")
  Out.hex(checksum)
  Out.put("\n")
  NPL.halt(0)
}

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  let base = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
  let page = UInt64(UInt(bitPattern: base))
  let memory = UnsafeMutableRawBufferPointer(start: base, count: 4096)
  guard (try? IONRing.format(at: memory, slotSize: 16, slotCount: ringSlots, channel: 1)) != nil,
        var ring = try? IONProducer(attaching: memory) else {
    Out.put("pingpong: cannot format the ring\n")
    NPL.halt(1)
    return
  }
  Out.put("pingpong: 2 fibers, one ION ring of 64 slots, 10000 messages\n")
  let entry: @convention(c) (UInt64) -> Void = consumer
  let child = NPL.spawn(entry: UInt64(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self))),
                        arg: UInt64(page), tier: .matter, promises: [.stdio, .halt])
  guard child >= 0 else {
    Out.put("pingpong: spawn failed\n")
    NPL.halt(1)
    return
  }
  var i: UInt64 = 0
  while i < messageCount {
    switch ring.tryPublish(type: 1, value: (i &* 0x9E37_79B9_7F4A_7C15).littleEndian) {
    case .published: i += 1
    case .full: _ = NPL.yield()
    default:
      Out.put("pingpong: ring closed on the producer side\n")
      NPL.halt(1)
      return
    }
  }
}
