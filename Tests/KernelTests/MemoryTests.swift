// Cellular memory on the real hosted kernel: Wild pages into per-fiber partitions, unmap,
// exhaustion (ENOMEM, and the cell goes on), explicit revocable grants.

import RumpkABI
import RumpkHosted
@testable import RumpkKernel
import TestSupport
import XCTest

nonisolated(unsafe) var shared: [UInt64] = []

final class MemoryTests: XCTestCase {
  override func setUp() { trace = []; results = []; shared = [] }

  func testMapGivesZeroedPagesOnlyTheOwnerMayPassToTheKernel() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in
      let a = sys(.map, 0, 5000, 0)   // rounds up to 2 pages
      results.append(a > 0 ? 1 : a)
      let p = UnsafeMutablePointer<UInt8>(bitPattern: UInt(a))!
      results.append((0..<8192).allSatisfy { p[$0] == 0 } ? 1 : 0)
      results.append(sys(.random, UInt64(a), 8192))          // my pages: fine
      shared.append(UInt64(a))
      _ = sys(.yield)                                         // let the other fiber try
      results.append(sys(.unmap, UInt64(a), 4096))            // not the whole region
      results.append(sys(.unmap, UInt64(a), 8192))
      results.append(sys(.random, UInt64(a), 8))              // gone from my partition
      results.append(sys(.unmap, UInt64(a), 8192))            // twice
    }, 0, .matter, .all)
    _ = spawnFiber({ _ in
      results.append(sys(.random, shared[0], 8))              // someone else's pages
    }, 0, .matter, .all)
    _ = Scheduler.run()
    let efault = Errno.efault.rawValue, einval = Errno.einval.rawValue
    XCTAssertEqual(results, [1, 1, 8192, efault, einval, 0, efault, einval])
  }

  func testExhaustionIsENOMEMAndTheCellKeepsRunning() {
    KernelHarness.boot(wildBytes: 4 << 20)   // 1024 pages, 16 of them this fiber's stack
    _ = spawnFiber({ _ in
      var maps = 0
      while true {
        let r = sys(.map, 0, 256 << 10, 0)
        if r == Errno.enomem.rawValue || r == Errno.enospc.rawValue { results.append(r); break }
        maps += 1
      }
      results.append(Int64(maps))
      results.append(sys(.map, 0, 4 << 20, 0))                // far too big
      trace.append(1)
    }, 0, .matter, .all)
    _ = spawnFiber({ _ in trace.append(2) }, 0, .matter, .all)
    XCTAssertEqual(Scheduler.run(), 0)
    XCTAssertEqual(trace.sorted(), [1, 2], "both fibers ran to the end")
    XCTAssertEqual(results.last, Errno.enomem.rawValue)
    XCTAssertEqual(WildAllocator.freePages, Int(WildAllocator.region.size / pageSize), "all pages came back")
  }

  func testSpawnFailsWithENOMEMWhenNoStackFits() {
    KernelHarness.boot(maxFibers: 64, stackPages: 16, wildBytes: 64 << 10)  // room for one stack
    _ = spawnFiber({ _ in
      results.append(sys(.spawn, KernelHarness.address({ _ in }), 0, Tier.void.rawValue, 0))
    }, 0, .matter, .all)
    _ = Scheduler.run()
    XCTAssertEqual(results, [Errno.enomem.rawValue])
  }

  func testGrantsAreExplicitAndRevocable() throws {
    KernelHarness.boot()
    // Fiber A maps a page; B waits; the test (kernel side) grants A's page to B, B writes through
    // a syscall into it; then the grant is revoked and B's next attempt is refused.
    let a = spawnFiber({ _ in
      let p = sys(.map, 0, 4096, 0)
      shared.append(UInt64(p))
      _ = sys(.yield, rumpk_now() + 200_000_000)  // owns the page until after B's last attempt
    }, 0, .matter, .all)
    let b = spawnFiber({ _ in
      _ = sys(.yield, rumpk_now() + 5_000_000)
      results.append(sys(.random, shared[0], 16))   // granted by now
      _ = sys(.yield, rumpk_now() + 100_000_000)
      results.append(sys(.random, shared[0], 16))   // revoked by now
    }, 0, .matter, .all)
    // The kernel-side steps run from a third fiber so they happen between B's sleeps: grant at
    // 2 ms, revoke at about 62 ms. The margins (B looks at 5 and 105 ms) hold when the process
    // stalls for tens of milliseconds, as it does under ThreadSanitizer on a busy machine: a Photon
    // fiber whose wake is due runs before B whenever both are due at once.
    _ = spawnFiber({ _ in
      _ = sys(.yield, rumpk_now() + 2_000_000)
      let region = Region(base: shared[0], size: 4096)
      let owner = testFibers[0], grantee = testFibers[1]
      do {
        let g = try Grants.grant(from: owner, to: grantee, region: region, writable: true)
        results.append(Grants.isLive(g) ? 1 : 0)
        // A fiber cannot grant what it does not own.
        do { _ = try Grants.grant(from: grantee, to: owner, region: region, writable: true); results.append(-100) }
        catch { results.append((error as! Errno).rawValue) }
        _ = sys(.yield, rumpk_now() + 60_000_000)
        Grants.revoke(g)
      } catch {
        results.append(-99)
      }
    }, 0, .photon, .all)
    testFibers = [a, b]
    _ = Scheduler.run()
    XCTAssertEqual(results, [1, Errno.einval.rawValue, 16, Errno.efault.rawValue])
  }

  func testUnmapRevokesGrantsMadeFromTheRegion() throws {
    KernelHarness.boot()
    let owner = spawnFiber({ _ in
      shared.append(UInt64(sys(.map, 0, 8192, 0)))
      _ = sys(.yield, rumpk_now() + 5_000_000)
      results.append(sys(.unmap, shared[0], 8192))
    }, 0, .matter, .all)
    let grantee = spawnFiber({ _ in _ = sys(.yield, rumpk_now() + 10_000_000) }, 0, .matter, .all)
    _ = spawnFiber({ _ in
      _ = sys(.yield, rumpk_now() + 1_000_000)
      let g = try! Grants.grant(from: testFibers[0], to: testFibers[1], region: Region(base: shared[0] + 4096, size: 4096), writable: false)
      results.append(Grants.isLive(g) ? 1 : 0)
      _ = sys(.yield, rumpk_now() + 8_000_000)
      results.append(Grants.isLive(g) ? 1 : 0)
      Grants.revoke(g)  // already ended by the unmap: a no-op
    }, 0, .photon, .all)
    testFibers = [owner, grantee]
    _ = Scheduler.run()
    XCTAssertEqual(results, [1, 0, 0])
  }

  func testAFiberThatEndsReturnsItsPagesAndGrants() {
    KernelHarness.boot()
    let before = WildAllocator.freePages
    _ = spawnFiber({ _ in
      for _ in 0..<5 { _ = sys(.map, 0, 12288, 0) }
    }, 0, .matter, .all)
    _ = Scheduler.run()
    XCTAssertEqual(WildAllocator.freePages, before)
  }

  func testWildAllocatorNeverHandsOutAPageTwice() {
    KernelHarness.boot(wildBytes: 1 << 20)
    var rng = SplitMix64(seed: 7)
    var live: [(UInt64, Int)] = []
    var owned = Set<UInt64>()
    for _ in 0..<5000 {
      if rng.next() % 3 != 0 || live.isEmpty {
        let n = Int(rng.next() % 8) + 1
        if let p = WildAllocator.allocate(pages: n) {
          for i in 0..<n { XCTAssertTrue(owned.insert(p + UInt64(i) * 4096).inserted, "page handed out twice") }
          XCTAssertTrue(WildAllocator.region.contains(p, UInt64(n) * 4096))
          live.append((p, n))
        }
      } else {
        let (p, n) = live.remove(at: Int(rng.next() % UInt64(live.count)))
        XCTAssertTrue(WildAllocator.free(p, pages: n))
        XCTAssertFalse(WildAllocator.free(p, pages: n), "double free refused")
        for i in 0..<n { owned.remove(p + UInt64(i) * 4096) }
      }
      XCTAssertEqual(WildAllocator.freePages, 256 - owned.count)
    }
  }
}

nonisolated(unsafe) var testFibers: [FiberID] = []
