// bench: in-guest costs, measured with the cell's own clock. Run under `-icount shift=0,sleep=off`
// (rumpkctl run bench --icount) one guest instruction is one nanosecond of virtual time, so every
// number printed is an instruction count, identical from run to run. Uses only the ABI.

import RumpkABI
import RumpkION
import RumpkNPL

let rounds: UInt64 = 2000

nonisolated(unsafe) var partnerDone = false

/// The other half of the switch ping-pong: yields until told to stop.
@_cdecl("bench_partner")
public func benchPartner(_ arg: UInt64) {
  while !partnerDone { NPL.yield() }
}

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  let boot = NPL.time()
  report("boot to first NPL instruction", boot)

  // Empty-loop baseline, subtracted from the per-call numbers below.
  var t0 = NPL.time()
  var sink: UInt64 = 0
  for i in 0..<rounds { sink = sink &+ i; keep(sink) }
  let loop = (NPL.time() - t0) / rounds

  t0 = NPL.time()
  for _ in 0..<rounds { keep(NPL.time()) }
  report("syscall round trip (time)", (NPL.time() - t0) / rounds - loop)

  t0 = NPL.time()
  for _ in 0..<rounds { keep(UInt64(bitPattern: NPL.pledge(.all))) }
  report("syscall with promise check (pledge)", (NPL.time() - t0) / rounds - loop)

  // Two fibers of one tier yielding to each other: each yield is one fiber switch.
  let entry = UInt64(UInt(bitPattern: unsafeBitCast(benchPartner as @convention(c) (UInt64) -> Void, to: UnsafeRawPointer.self)))
  _ = NPL.spawn(entry: entry, arg: 0, tier: .matter, promises: .stdio)
  NPL.yield()  // let the partner start
  t0 = NPL.time()
  for _ in 0..<rounds { NPL.yield() }
  let pair = (NPL.time() - t0) / rounds
  partnerDone = true
  NPL.yield()
  report("fiber switch (yield to a ready fiber)", pair / 2)

  // One 8-byte ION ring message: publish and consume, in batches of 32 on one fiber (the cost of
  // the ring code itself; cross-fiber delivery adds the switch above).
  let page = NPL.map(hint: 0, length: 4096, flags: 1)
  let memory = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(page)), count: 4096)
  if page > 0, (try? IONRing.format(at: memory, slotSize: 16, slotCount: 64, channel: 1)) != nil,
     var producer = try? IONProducer(attaching: memory), var consumer = try? IONConsumer(attaching: memory) {
    var sum: UInt64 = 0
    t0 = NPL.time()
    for batch in 0..<(rounds / 32) {
      for i in 0..<UInt64(32) { _ = producer.tryPublish(type: 1, value: batch &* 32 &+ i) }
      for _ in 0..<32 {
        _ = consumer.tryConsume { m in sum &+= UInt64(m.payload.count) }
      }
    }
    report("ION ring message (publish + consume)", (NPL.time() - t0) / rounds)
    keep(sum)
  }

  // Timer interrupt to fiber wake: the only fiber sleeps to a deadline, the cell idles in WFI (under
  // -icount no instructions pass while it waits), the timer fires at the deadline, and the fiber
  // runs again. Measured from the deadline to the first time() after the yield returns (interrupt
  // entry, phase one, the event, the scheduler, the switch, the return to user mode and half a
  // time syscall), over 64 sleeps of 50 us each.
  var late: UInt64 = 0
  for _ in 0..<64 {
    let deadline = NPL.time() &+ 50_000
    _ = NPL.yield(until: deadline)
    late &+= NPL.time() &- deadline
  }
  report("timer interrupt to fiber wake", late / 64)

  NPL.write("bench: done\n")
  NPL.halt(0)
}

@inline(never) func keep(_ v: UInt64) { if v == 0x5eed_5eed_5eed_5eed { NPL.write("!") } }

/// Prints "bench: <what>: <n> ns" (= instructions under -icount shift=0).
func report(_ what: StaticString, _ value: UInt64) {
  NPL.write("bench: ")
  NPL.write(what)
  NPL.write(": ")
  Digits.with(value) { NPL.write($0) }
  NPL.write(" ns\n")
}
