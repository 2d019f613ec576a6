// The 12 syscalls through the one dispatcher, on the real hosted kernel: the pledge matrix (every
// call with and without its promise), pledge/unveil rules, spawn/kill rights, and hostile arguments.

import RumpkABI
@testable import RumpkKernel
import RumpkHosted
import XCTest

nonisolated(unsafe) var callUnderTest: Syscall = .time
nonisolated(unsafe) var results: [Int64] = []

/// Calls `callUnderTest` with harmless arguments pointing into this fiber's stack.
func callHarmlessly() -> Int64 {
  var buffer = (UInt64(0), UInt64(0))
  return withUnsafeMutableBytes(of: &buffer) { raw in
    let p = UInt64(UInt(bitPattern: raw.baseAddress!))
    switch callUnderTest {
    case .pledge: return sys(.pledge, Promises.all.rawValue)
    case .unveil: return sys(.unveil, p, 1, 1)
    case .read: return sys(.read, 0, p, 0)
    case .write: return sys(.write, 1, p, 0)
    case .map: return sys(.map, 0, 4096, 0)
    case .unmap: return sys(.unmap, 0x1000, 4096)
    case .spawn: return sys(.spawn, KernelHarness.address({ _ in }), 0, Tier.void.rawValue, 0)
    case .kill: return sys(.kill, 0xFFFF_FFFF)
    case .yield: return sys(.yield)
    case .time: return sys(.time)
    case .random: return sys(.random, p, 16)
    case .halt: return sys(.halt, 5)
    }
  }
}

final class SyscallTests: XCTestCase {
  override func setUp() { trace = []; results = [] }

  func testPledgeMatrixForAllTwelveCalls() {
    for call in Syscall.allCases {
      KernelHarness.boot()
      callUnderTest = call
      let need = call.requiredPromise
      // Without the promise (when the call needs one).
      let without = Promises.all.subtracting(need ?? [])
      let violator = spawnFiber({ _ in
        results.append(callHarmlessly())
        trace.append(1)  // must not run when the call needed a promise
      }, 0, .matter, without)
      let bystander = spawnFiber({ _ in _ = sys(.yield); trace.append(2) }, 0, .matter)
      let code = Scheduler.run()
      if let need {
        XCTAssertEqual(Fibers.end(violator), .promiseViolation, "\(call) without \(need.rawValue)")
        XCTAssertEqual(Fibers.violation(violator), Int8(call.rawValue), "\(call)")
        XCTAssertFalse(trace.contains(1), "\(call): the violating fiber went on")
        XCTAssertTrue(trace.contains(2), "\(call): the cell must go on")
        XCTAssertEqual(code, 0)
      } else {
        XCTAssertNotEqual(Fibers.end(violator), .promiseViolation, "\(call) needs no promise")
        XCTAssertTrue(trace.contains(1), "\(call)")
      }
      _ = bystander
      // With every promise: the call is made (halt ends the cell with its code).
      KernelHarness.boot()
      trace = []
      let allowed = spawnFiber({ _ in results.append(callHarmlessly()); trace.append(3) }, 0, .matter, .all)
      let code2 = Scheduler.run()
      XCTAssertNotEqual(Fibers.end(allowed), .promiseViolation, "\(call) with all promises")
      if call == .halt { XCTAssertEqual(code2, 5) } else { XCTAssertTrue(trace.contains(3), "\(call)") }
    }
  }

  func testPledgeOnlyDropsPromisesAndChildrenGetASubset() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in
      results.append(sys(.pledge, Promises([.stdio, .proc]).rawValue))       // drop
      results.append(sys(.pledge, Promises([.stdio, .proc, .mem]).rawValue)) // grow: EPERM
      results.append(sys(.spawn, KernelHarness.address({ _ in }), 0, Tier.matter.rawValue, Promises.mem.rawValue))  // child > parent
      results.append(sys(.spawn, KernelHarness.address({ _ in }), 0, Tier.photon.rawValue, Promises.stdio.rawValue)) // higher tier
      results.append(sys(.pledge, 1 << 20))                                  // unknown bit
      let child = sys(.spawn, KernelHarness.address({ _ in _ = sys(.map, 0, 4096, 0) }), 0, Tier.void.rawValue, Promises.stdio.rawValue)
      results.append(child >= 0 ? 0 : child)
      trace.append(UInt64(bitPattern: child))
    }, 0, .matter, .all)
    _ = Scheduler.run()
    XCTAssertEqual(results, [0, Errno.eperm.rawValue, Errno.eperm.rawValue, Errno.eperm.rawValue, Errno.einval.rawValue, 0])
    XCTAssertEqual(Fibers.end(FiberID(raw: trace[0])), .promiseViolation, "the child had no mem promise")
  }

  func testUnveilRestrictsNamedChannelsAndLocks() {
    KernelHarness.boot()
    // Two channel regions the kernel publishes.
    let a = WildAllocator.allocate(pages: 1)!, b = WildAllocator.allocate(pages: 1)!
    XCTAssertTrue(Channels.register("/bus/net", Region(base: a, size: 4096)))
    XCTAssertTrue(Channels.register("/bus/log", Region(base: b, size: 4096)))
    XCTAssertFalse(Channels.register("/bus/net", Region(base: b, size: 4096)), "names are unique")
    _ = spawnFiber({ _ in
      func mapName(_ s: String, _ flags: UInt64 = MapFlags.named) -> Int64 {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &bytes) { raw in
          for (i, c) in s.utf8.enumerated() { raw[i] = c }
          return sys(.map, UInt64(UInt(bitPattern: raw.baseAddress!)), UInt64(s.utf8.count), flags)
        }
      }
      func unveil(_ s: String, _ perms: UInt64) -> Int64 {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &bytes) { raw in
          for (i, c) in s.utf8.enumerated() { raw[i] = c }
          return sys(.unveil, UInt64(UInt(bitPattern: raw.baseAddress!)), UInt64(s.utf8.count), perms)
        }
      }
      results.append(mapName("/bus/log") > 0 ? 1 : mapName("/bus/log"))          // nothing unveiled: all visible
      results.append(unveil("/bus/net", 1))                                       // read only
      results.append(mapName("/bus/log"))                                         // now hidden
      results.append(mapName("/bus/net") > 0 ? 1 : 0)                             // visible, read
      results.append(mapName("/bus/net", MapFlags.named | MapFlags.write))        // write not unveiled
      results.append(mapName("/bus/none"))                                        // unknown name
      results.append(sys(.unveil, 0, 0, 0))                                       // lock
      results.append(unveil("/bus/log", 1))                                       // locked
      results.append(sys(.pledge, Promises([.stdio, .mem]).rawValue))
      results.append(mapName("/bus/net"))                                         // ring promise gone
    }, 0, .matter, .all)
    _ = Scheduler.run()
    let eperm = Errno.eperm.rawValue
    let enoent = Errno.enoent.rawValue
    // Hidden names look absent (ENOENT, as OpenBSD does); a visible name without the permission is EPERM.
    XCTAssertEqual(results, [1, 0, enoent, 1, eperm, enoent, 0, eperm, 0, eperm])
  }

  func testUnveilPrefixSemantics() {
    var set = UnveilSet()
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
    XCTAssertTrue(bytes("/anything").withUnsafeBytes { set.permits($0, .all) }, "nothing unveiled yet")
    XCTAssertEqual(bytes("/data").withUnsafeBytes { set.add($0, [.read, .write]) }, .ok)
    XCTAssertTrue(bytes("/data/log").withUnsafeBytes { set.permits($0, .write) })
    XCTAssertTrue(bytes("/data").withUnsafeBytes { set.permits($0, .read) })
    XCTAssertFalse(bytes("/database").withUnsafeBytes { set.permits($0, .read) }, "prefix ends at a /")
    XCTAssertFalse(bytes("/data/log").withUnsafeBytes { set.permits($0, .create) })
    XCTAssertEqual(bytes("/data/ro").withUnsafeBytes { set.add($0, .read) }, .ok)
    XCTAssertFalse(bytes("/data/ro/x").withUnsafeBytes { set.permits($0, .write) }, "the longest match wins")
    for i in 0..<6 { XCTAssertEqual(bytes("/n\(i)").withUnsafeBytes { set.add($0, .read) }, .ok) }
    XCTAssertEqual(bytes("/one-too-many").withUnsafeBytes { set.add($0, .read) }, .full)
    set.lock()
    XCTAssertEqual(bytes("/n0").withUnsafeBytes { set.add($0, .all) }, .locked)
  }

  func testHostileArgumentsGetErrorsNotCrashes() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in
      let bridge = Bridgehead.region.base
      let hostile: [(Syscall, UInt64, UInt64, UInt64, UInt64, Int64)] = [
        (.write, 1, 0, 10, 0, Errno.efault.rawValue),                   // null
        (.write, 1, UInt64.max - 4, 10, 0, Errno.efault.rawValue),     // wraps
        (.write, 1, bridge, 64, 0, Errno.efault.rawValue),             // kernel memory
        (.write, 1, 0x1000, 1 << 40, 0, Errno.efault.rawValue),        // huge
        (.write, 7, 0, 0, 0, Errno.ebadf.rawValue),                    // bad fd
        (.read, 1, 0, 0, 0, Errno.ebadf.rawValue),
        (.read, 0, bridge + 128, 8, 0, Errno.efault.rawValue),         // write into the Bridgehead
        (.random, 0xdead_0000, 16, 0, 0, Errno.efault.rawValue),
        (.map, 0, 0, 0, 0, Errno.einval.rawValue),                     // zero length
        (.map, 0, UInt64.max, 0, 0, Errno.einval.rawValue),            // overflowing length
        (.map, 0, 4096, 1 << 40, 0, Errno.einval.rawValue),            // unknown flags
        (.map, 0, 1 << 40, 0, 0, Errno.enomem.rawValue),               // more than Wild
        (.unmap, 0, 4096, 0, 0, Errno.einval.rawValue),
        (.unmap, bridge, UInt64.max, 0, 0, Errno.einval.rawValue),
        (.spawn, 0x10, 0, 0, 0, Errno.einval.rawValue),                // entry outside code
        (.spawn, KernelHarness.address({ _ in }), 0, 9, 0, Errno.einval.rawValue),  // bad tier
        (.kill, 0, 0, 0, 0, Errno.enoent.rawValue),                    // stale id (slot 0, gen 0)
        (.kill, UInt64.max, 0, 0, 0, Errno.enoent.rawValue),
        (.unveil, 0xdead_0000, 4, 1, 0, Errno.efault.rawValue),
        (.unveil, 0x1000, 0, 1, 0, Errno.einval.rawValue),
        (.unveil, 0x1000, 4, 0xFF, 0, Errno.einval.rawValue),
      ]
      for (call, a, b, c, d, expected) in hostile {
        let r = sys(call, a, b, c, d)
        results.append(r == expected ? 0 : r)
      }
      results.append(SyscallDispatch.dispatch(12, SyscallArgs(0, 0, 0, 0)))
      results.append(SyscallDispatch.dispatch(UInt64.max, SyscallArgs(0, 0, 0, 0)))
    }, 0, .matter, .all)
    XCTAssertEqual(Scheduler.run(), 0)
    XCTAssertEqual(results.count, 23)
    XCTAssertEqual(Array(results.prefix(21)), Array(repeating: 0, count: 21), "index of a wrong result: \(results.firstIndex { $0 != 0 } ?? -1)")
    XCTAssertEqual(Array(results.suffix(2)), [Errno.einval.rawValue, Errno.einval.rawValue])
  }

  func testKillOnlyOwnChildrenAndStaleIdsStayStale() {
    KernelHarness.boot()
    let stranger = spawnFiber({ _ in _ = sys(.yield, rumpk_now() + 20_000_000); trace.append(9) }, 0, .void)
    trace = [stranger.raw]
    _ = spawnFiber({ _ in
      let child = UInt64(sys(.spawn, KernelHarness.address({ _ in _ = sys(.yield, rumpk_now() + 50_000_000); trace.append(7) }), 0, Tier.gravity.rawValue, Promises.stdio.rawValue))
      results.append(sys(.kill, trace[0]))     // not my child: EPERM
      results.append(sys(.kill, child))        // mine: killed while sleeping
      results.append(sys(.kill, child))        // stale now: ENOENT
    }, 0, .matter, .all)
    _ = Scheduler.run()
    XCTAssertEqual(results, [Errno.eperm.rawValue, 0, Errno.enoent.rawValue])
    XCTAssertFalse(trace.contains(7), "the killed sleeper never woke")
    XCTAssertTrue(trace.contains(9))
  }

  func testTimeIsMonotonicAndRandomFillsTheBuffer() {
    KernelHarness.boot()
    _ = spawnFiber({ _ in
      let t1 = sys(.time), t2 = sys(.time)
      results.append(t2 >= t1 && t1 > 0 ? 1 : 0)
      var a = (UInt64(0), UInt64(0), UInt64(0), UInt64(0)), b = a
      results.append(withUnsafeMutableBytes(of: &a) { sys(.random, UInt64(UInt(bitPattern: $0.baseAddress!)), 32) })
      _ = withUnsafeMutableBytes(of: &b) { sys(.random, UInt64(UInt(bitPattern: $0.baseAddress!)), 32) }
      results.append(a != (0, 0, 0, 0) && (a.0, a.1) != (b.0, b.1) ? 1 : 0)
    }, 0, .matter, .all)
    _ = Scheduler.run()
    XCTAssertEqual(results, [1, 32, 1])
  }

  func testChaCha20BlockMatchesRFC8439() {
    // RFC 8439 A.1 test vector #1: all-zero key, nonce and counter (where the 64-bit-counter layout
    // used here and the IETF layout coincide). Keystream 76 b8 e0 ad a0 f1 3d 90 ... b2 ee 65 86.
    Entropy.key = (0, 0, 0, 0)
    Entropy.counter = 0
    let b = Entropy.chachaBlock()
    XCTAssertEqual([b.0, b.1, b.2, b.15], [0xade0b876, 0x903df1a0, 0xe56a5d40, 0x8665eeb2])
  }
}
