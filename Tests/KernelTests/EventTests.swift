// Two-phase event dispatch: another thread (standing in for an interrupt handler) pushes a
// descriptor and wakes the platform; the scheduler drains the ring and wakes the waiting fiber.

import Foundation
import RumpkABI
@testable import RumpkKernel
import RumpkHosted
import RumpkPlatform
import XCTest

final class EventTests: XCTestCase {
  override func setUp() { trace = []; results = [] }

  func testAnEventFromAnotherThreadWakesTheWaitingFiberOutOfAnIdleWait() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in
      let value = Scheduler.waitCurrent(source: 3)
      trace.append(value)
    }, 0, .matter, .all)
    let pusher = Thread {
      usleep(30_000)
      Events.push(EventDescriptor(source: 3, value: 77))
      HostedEvents.notify()
    }
    let start = Date()
    pusher.start()
    XCTAssertEqual(Scheduler.run(), 0)
    XCTAssertEqual(trace, [77])
    XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.025, "the idle loop blocked until the event")
    XCTAssertEqual(Events.delivered, 1)
  }

  func testAnEventBeforeTheWaitIsLatchedNotLost() {
    KernelHarness.boot()
    Events.push(EventDescriptor(source: 5, value: 1))
    _ = spawnFiber({ _ in
      _ = sys(.yield)  // the scheduler drains the ring here; nobody waits yet
      trace.append(Scheduler.waitCurrent(source: 5))
    }, 0, .matter, .all)
    _ = Scheduler.run()
    XCTAssertEqual(trace, [1])
  }

  func testAFullRingRefusesInsteadOfOverwritingAndBadSourcesAreIgnored() {
    KernelHarness.boot()
    var accepted = 0
    for i in 0..<300 where Events.push(EventDescriptor(source: 1, value: UInt64(i))) { accepted += 1 }
    XCTAssertEqual(accepted, Events.slotCount)
    XCTAssertEqual(Events.dropped, UInt64(300 - Events.slotCount))
    Events.drain()
    XCTAssertEqual(Events.takeLatched(1), UInt64(Events.slotCount - 1), "the newest accepted event, none overwritten")
    XCTAssertTrue(Events.push(EventDescriptor(source: 9999, value: 1)))
    Events.drain()
    XCTAssertNil(Events.takeLatched(9999))
  }

  /// How many events the waiting fiber has taken, published to the pushing thread (release/acquire).
  /// The kernel's counters belong to the scheduler's side; the ring's cursors are the only state the
  /// two sides share (docs/decisions/K11-sanitizers.md).
  nonisolated(unsafe) static let consumed: UnsafeMutablePointer<UInt64> = {
    let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
  }()

  func testManyEventsFromAThreadReachTheirWaitersInOrder() {
    KernelHarness.boot()
    rumpk_store_release_u64(Self.consumed, 0)
    _ = spawnFiber({ _ in
      for n in 1...1000 {
        trace.append(Scheduler.waitCurrent(source: 2))
        rumpk_store_release_u64(EventTests.consumed, UInt64(n))
      }
    }, 0, .matter, .all)
    let pusher = Thread {
      var i: UInt64 = 0
      while i < 1000 {
        // One event in flight at a time: the fiber must take it before the next is sent, since a
        // second event for a source nobody waits on replaces the latched one.
        if Events.push(EventDescriptor(source: 2, value: i)) { HostedEvents.notify(); i += 1 }
        while rumpk_load_acquire_u64(EventTests.consumed) < i { usleep(50) }
      }
    }
    pusher.start()
    _ = Scheduler.run()
    XCTAssertEqual(trace, (0..<1000).map { UInt64($0) })
  }
}
