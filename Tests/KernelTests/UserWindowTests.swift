// The NPL windows on the hosted kernel: Wild is one memfd mapped twice, once where the kernel works
// and once as window B, where NPL code sees its partitions, so a translation mistake shows up as
// wrong bytes or a refused range, not as a passing test.

import Glibc
import RumpkABI
@testable import RumpkKernel
import RumpkHosted
import XCTest

final class UserWindowTests: XCTestCase {
  static let wildBytes: UInt64 = 8 << 20
  nonisolated(unsafe) static var kernelWild: UInt64 = 0
  nonisolated(unsafe) static var userWild: UInt64 = 0
  nonisolated(unsafe) static var results: [Int64] = []
  nonisolated(unsafe) static var bytesMatch = false
  nonisolated(unsafe) static var sharedPage: UInt64 = 0

  /// A kernel whose Wild is seen by NPL code through window B (Wild mapped a second time).
  static func bootWithWindow() {
    if kernelWild == 0 {
      var template = Array("/tmp/rumpk-wild-XXXXXX".utf8CString)
      let fd = mkstemp(&template)
      precondition(fd >= 0 && unlink(template) == 0 && ftruncate(fd, off_t(wildBytes)) == 0)
      let k = mmap(nil, Int(wildBytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
      let u = mmap(nil, Int(wildBytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
      precondition(k != MAP_FAILED && u != MAP_FAILED)
      close(fd)
      kernelWild = UInt64(UInt(bitPattern: k!))
      userWild = UInt64(UInt(bitPattern: u!))
    }
    let bridgeBytes = Int(Kernel.bridgeheadBytes(maxFibers: 16, wildBytes: wildBytes) + 4095) & ~4095
    let bridge = mmap(nil, bridgeBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
    Scheduler.reportOverruns = false
    try! Kernel.initialize(KernelConfiguration(
      bridgehead: Region(base: UInt64(UInt(bitPattern: bridge)), size: UInt64(bridgeBytes)),
      wild: Region(base: kernelWild, size: wildBytes), maxFibers: 16, stackPages: 16,
      executable: KernelHarness.textRegion,
      partitionWindow: UserWindow(user: userWild, kernel: kernelWild, size: wildBytes)))
  }

  override func setUp() { UserWindowTests.results = []; UserWindowTests.bytesMatch = false }
  override func tearDown() { KernelHarness.boot() }  // windows off again for the other tests

  func testMapHandsOutWindowAddressesAndSyscallsTranslateThem() {
    UserWindowTests.bootWithWindow()
    _ = spawnFiber({ _ in
      let page = UInt64(bitPattern: sys(.map, 0, 8192, MapFlags.write))
      let kernel = page &- UserWindowTests.userWild &+ UserWindowTests.kernelWild
      UserWindowTests.results.append(page >= UserWindowTests.userWild && page < UserWindowTests.userWild + UserWindowTests.wildBytes ? 1 : 0)
      // The kernel writes through its alias what the NPL sees through the window.
      UserWindowTests.results.append(sys(.random, page + 4096, 64))
      let user = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(page + 4096)), count: 64)
      let seen = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(kernel + 4096)), count: 64)
      UserWindowTests.bytesMatch = user.contains { $0 != 0 } && Array(user) == Array(seen)
      UserWindowTests.results.append(sys(.random, kernel, 64))          // a kernel address: outside the windows
      UserWindowTests.results.append(sys(.random, page + 8192 - 32, 64)) // runs past the mapping
      UserWindowTests.results.append(sys(.unmap, kernel, 8192))          // unmap wants the window address
      UserWindowTests.results.append(sys(.unmap, page, 8192))
      UserWindowTests.results.append(sys(.random, page, 64))             // gone
    }, 0, .matter)
    _ = Scheduler.run()
    XCTAssertEqual(UserWindowTests.results, [1, 64, Errno.efault.rawValue, Errno.efault.rawValue,
                                            Errno.einval.rawValue, 0, Errno.efault.rawValue])
    XCTAssertTrue(UserWindowTests.bytesMatch, "the window and the kernel alias show the same random bytes")
  }

  func testAnotherFibersWindowPagesAreRefused() {
    UserWindowTests.bootWithWindow()
    _ = spawnFiber({ _ in
      UserWindowTests.sharedPage = UInt64(bitPattern: sys(.map, 0, 4096, MapFlags.write))
      _ = sys(.yield)
    }, 0, .matter)
    _ = spawnFiber({ _ in
      UserWindowTests.results.append(sys(.random, UserWindowTests.sharedPage, 16))
      UserWindowTests.results.append(sys(.unmap, UserWindowTests.sharedPage, 4096))
    }, 0, .matter)
    _ = Scheduler.run()
    XCTAssertEqual(UserWindowTests.results, [Errno.efault.rawValue, Errno.einval.rawValue])
  }

  func testPlaceNPLPutsSpawnEntriesInWindowAAndPointerChecksAtLoadAddresses() throws {
    // An NPL image loaded at 0x4040_0000, linked at window A: text 0x800_0000-0x800_2000, rodata to
    // 0x800_3000, data from 0x800_4000; its heap (from the plan) ends at 0x40E0_0000.
    var plan = try CellMemoryPlan.make(imageStart: 0x4020_0000, textEnd: 0x4021_0000, dataStart: 0x4040_0000,
                                   heapStart: 0x4060_0000, ramEnd: 0x6000_0000)
    let a = UserWindow(user: 0x0800_0000, kernel: 0x4040_0000, size: plan.heap.end - 0x4040_0000)
    let b = UserWindow(user: 0x1000_0000, kernel: plan.wild.base, size: plan.wild.size)
    plan.placeNPL(in: a, partitions: b, textStart: 0x0800_0000, textEnd: 0x0800_2000, rodataEnd: 0x0800_3000,
                  dataStart: 0x0800_4000)
    XCTAssertEqual(plan.text, Region(base: 0x0800_0000, size: 0x2000))
    XCTAssertEqual(plan.image, Region(base: 0x4040_0000, size: 0x3000))
    XCTAssertEqual(plan.writableShared, Region(base: 0x4040_4000, size: plan.heap.end - 0x4040_4000))
    XCTAssertEqual(plan.imageWindow, a)
    XCTAssertEqual(plan.partitionWindow, b)
  }

  func testWindowsThatDoNotFitTheMemoryPlanAreRefused() {
    let bridge = Region(base: 0x1000_0000, size: 1 << 20)
    let wild = Region(base: 0x2000_0000, size: 1 << 20)
    func initialize(_ a: UserWindow, _ b: UserWindow) -> KernelInitError? {
      do throws(KernelInitError) {
        try Kernel.initialize(KernelConfiguration(bridgehead: bridge, wild: wild, imageWindow: a, partitionWindow: b))
        return nil
      } catch { return error }
    }
    // Window B must alias all of Wild and nothing else; A and B must not overlap on either side.
    XCTAssertEqual(initialize(.none, UserWindow(user: 0x1000_0000, kernel: wild.base + 4096, size: wild.size)), .windowsDoNotFit)
    XCTAssertEqual(initialize(.none, UserWindow(user: 0x1000_0000, kernel: wild.base, size: wild.size / 2)), .windowsDoNotFit)
    XCTAssertEqual(initialize(UserWindow(user: 0x0800_0000, kernel: 0x3000_0000, size: 0x0900_0000),
                              UserWindow(user: 0x1000_0000, kernel: wild.base, size: wild.size)), .windowsDoNotFit)
    XCTAssertEqual(initialize(UserWindow(user: 0x0800_0000, kernel: wild.base, size: 4096),
                              UserWindow(user: 0x1000_0000, kernel: wild.base, size: wild.size)), .windowsDoNotFit)
  }
}

/// CellMemoryPlan.make takes ramEnd from the device tree: RAM that ends inside the image is a
/// thrown error, never an arithmetic trap (issue 10).
final class MemoryPlanBoundaryTests: XCTestCase {
  func make(ramEnd: UInt64) -> Result<CellMemoryPlan, MemoryPlanError> {
    do throws(MemoryPlanError) {
      return .success(try CellMemoryPlan.make(imageStart: 0x8020_0000, textEnd: 0x8021_0000, dataStart: 0x8040_0000,
                                              heapStart: 0x8060_0000, ramEnd: ramEnd))
    } catch {
      return .failure(error)
    }
  }

  func testRAMEndingBelowTheImageIsRefused() {
    for end: UInt64 in [0, 0x1000, 0x8000_0000, 0x8030_0000, 0x805F_FFFF] {
      guard case .failure(.ramEndsInImage) = make(ramEnd: end) else { return XCTFail("ramEnd \(end) accepted") }
    }
  }

  func testRAMEndingAtTheHeapGivesEmptyRegionsNotATrap() throws {
    let plan = try make(ramEnd: 0x8060_0000).get()
    XCTAssertEqual(plan.heap.size, 0)
    XCTAssertEqual(plan.wild.size, 0)
    XCTAssertEqual(plan.writableShared.end, 0x8060_0000)
  }

  func testHugeRAMIsClampedToTheFixedSizes() throws {
    let plan = try make(ramEnd: .max).get()
    XCTAssertEqual(plan.heap.size, CellMemoryPlan.heapBytes)
    XCTAssertEqual(plan.wild.size, CellMemoryPlan.wildBytes)
  }

  func testLinkSymbolsOutOfOrderAreRefused() {
    do throws(MemoryPlanError) {
      _ = try CellMemoryPlan.make(imageStart: 0x10, textEnd: 0x8, dataStart: 0x20, heapStart: 0x30, ramEnd: 0x100)
      XCTFail("accepted")
    } catch {
      XCTAssertEqual(error, .imageOrder)
    }
  }
}
