// Hosted kernel for tests: the real portable core over memory from mmap, the real x86_64 context
// switch, the hosted platform. Each test brings up a fresh kernel.

import Glibc
import RumpkABI
@testable import RumpkKernel
import RumpkHosted

enum KernelHarness {
  nonisolated(unsafe) static var arena: UnsafeMutableRawPointer? = nil
  static let arenaBytes = 1 << 30

  /// A fresh kernel: a Bridgehead sized for `maxFibers`, then `wildBytes` of Wild, from one arena.
  /// Hosted fibers run debug-built Swift over glibc (lazy symbol binding saves the whole vector
  /// register file on the stack), so they get 64 KiB; bare-metal fibers keep the 4 KiB default.
  static func boot(maxFibers: Int = 64, stackPages: Int = 16, wildBytes: UInt64 = 64 << 20) {
    if arena == nil {
      arena = mmap(nil, arenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
      precondition(arena != MAP_FAILED)
    }
    let base = UInt64(UInt(bitPattern: arena!))
    let bridgeBytes = min(Kernel.bridgeheadBytes(maxFibers: maxFibers, wildBytes: wildBytes), 64 << 20)
    let bridge = Region(base: base, size: (bridgeBytes + 4095) & ~4095)
    let wild = Region(base: bridge.end, size: min(wildBytes, UInt64(arenaBytes) - bridge.size))
    Scheduler.reportOverruns = false
    try! Kernel.initialize(KernelConfiguration(
      bridgehead: bridge, wild: wild, maxFibers: maxFibers, stackPages: stackPages,
      sharedReadOnly: .empty, sharedReadWrite: .empty, executable: textRegion))
  }

  /// The test binary's code, so fiber entries defined in tests pass spawn's entry check.
  static var textRegion: Region { HostedImage.text }

  static func address(_ f: @convention(c) (UInt64) -> Void) -> UInt64 {
    UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self)))
  }
}
