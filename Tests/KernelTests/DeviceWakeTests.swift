// K8: what the kernel core does for device interrupts and device channels, hosted: the interrupt
// table the HALs consult in phase one, daemon fibers that do not keep a cell alive, the yield
// doorbell that wakes a service fiber, and the early wake of a fiber sleeping with a channel open.

import Foundation
import RumpkABI
@testable import RumpkKernel
import RumpkHosted
import XCTest

nonisolated(unsafe) var serviceRounds = 0

final class DeviceWakeTests: XCTestCase {
  override func setUp() { trace = []; serviceRounds = 0 }

  func testInterruptTableAttachesOncePerInterruptAndRefusesBadInput() {
    KernelHarness.boot()
    XCTAssertNil(DeviceInterrupts.source(of: 48), "nothing attached yet")
    XCTAssertTrue(DeviceInterrupts.attach(irq: 48, source: 63))
    XCTAssertTrue(DeviceInterrupts.attach(irq: 48, source: 63), "the same attachment again is fine")
    XCTAssertFalse(DeviceInterrupts.attach(irq: 48, source: 62), "one interrupt wakes one source")
    XCTAssertFalse(DeviceInterrupts.attach(irq: 0, source: 63), "0 is no interrupt")
    XCTAssertFalse(DeviceInterrupts.attach(irq: 49, source: 0), "source 0 is the timer")
    XCTAssertFalse(DeviceInterrupts.attach(irq: 49, source: UInt32(Events.sourceCount)))
    XCTAssertEqual(DeviceInterrupts.source(of: 48), 63)
    XCTAssertEqual(DeviceInterrupts.taken, 1)
    for irq in 50..<(50 + UInt32(DeviceInterrupts.capacity) - 1) {
      XCTAssertTrue(DeviceInterrupts.attach(irq: irq, source: 63))
    }
    XCTAssertFalse(DeviceInterrupts.attach(irq: 200, source: 63), "the table is full")
    KernelHarness.boot()
    XCTAssertNil(DeviceInterrupts.source(of: 48), "a new kernel starts with an empty table")
  }

  func testACellEndsWhenOnlyDaemonsAreLeft() {
    KernelHarness.boot()
    let daemon: @convention(c) (UInt64) -> Void = { _ in
      while true { _ = Scheduler.waitCurrent(source: 40) }
    }
    _ = try! Scheduler.spawn(entry: KernelHarness.address(daemon), argument: 0, tier: .matter,
                             promises: .all, daemon: true)
    _ = spawnFiber({ _ in _ = sys(.yield); trace.append(1) }, 0, .matter)
    XCTAssertEqual(Fibers.daemons, 1)
    XCTAssertEqual(Scheduler.run(), 0, "run returns although the daemon still waits")
    XCTAssertEqual(trace, [1])
    XCTAssertEqual(Fibers.live, 1)
  }

  func testAYieldRingsTheDoorbellOfAWaitingServiceFiber() {
    KernelHarness.boot()
    Events.yieldDoorbell = 41
    let service: @convention(c) (UInt64) -> Void = { _ in
      while true {
        _ = Scheduler.waitCurrent(source: 41)
        serviceRounds += 1
      }
    }
    _ = try! Scheduler.spawn(entry: KernelHarness.address(service), argument: 0, tier: .matter,
                             promises: .all, daemon: true)
    _ = spawnFiber({ _ in
      _ = sys(.yield)  // the service fiber starts and waits
      trace.append(UInt64(serviceRounds))
      _ = sys(.yield)  // rings: the service runs one round
      trace.append(UInt64(serviceRounds))
      _ = sys(.yield, rumpk_now() + 1_000_000)  // a sleep rings too
      trace.append(UInt64(serviceRounds))
    }, 0, .matter)
    _ = Scheduler.run()
    XCTAssertEqual(trace, [1, 2, 3], "every yield rang: the first one's event was latched for the starting service")
  }

  func testPublishingOnAChannelWakesItsSleeperEarlyAndNoOneElse() {
    KernelHarness.boot()
    let page = WildAllocator.allocate(pages: 1)!
    let region = Region(base: page, size: 4096)
    XCTAssertTrue(Channels.register("/dev/test0", region))
    let start = rumpk_now()
    // The holder opens the channel and sleeps for 5 s; the other sleeps 200 ms without it.
    _ = spawnFiber({ _ in
      var name = (UInt64(0), UInt64(0))  // the name must be in the caller's partition: its stack
      let mapped = withUnsafeMutableBytes(of: &name) { raw in
        for (i, c) in "/dev/test0".utf8.enumerated() { raw[i] = c }
        return sys(.map, UInt64(UInt(bitPattern: raw.baseAddress!)), 10, MapFlags.named)
      }
      precondition(mapped > 0, "map(/dev/test0) = \(mapped)")
      _ = sys(.yield, rumpk_now() + 5_000_000_000)
      trace.append(1)
    }, 0, .matter)
    _ = spawnFiber({ _ in
      _ = sys(.yield, rumpk_now() + 200_000_000)
      trace.append(2)
    }, 0, .matter)
    // The service publishes after both sleep.
    _ = spawnFiber({ page in
      _ = sys(.yield, rumpk_now() + 20_000_000)
      Scheduler.wakeSleepers(holding: Region(base: page, size: 4096))
      trace.append(3)
    }, page, .matter)
    _ = Scheduler.run()
    XCTAssertEqual(trace, [3, 1, 2], "the holder woke at the publish, the other at its deadline")
    XCTAssertLessThan(rumpk_now() - start, 2_000_000_000)
  }
}
