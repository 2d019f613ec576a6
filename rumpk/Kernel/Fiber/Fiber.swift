// A fiber: the kernel's unit of execution. About 1 KB of state in the Bridgehead plus a stack from
// Wild (4 KiB by default). Fibers are cooperative; the state below is everything the scheduler,
// pledge, unveil and the memory model need to know about one.

import RumpkABI

/// Names a fiber across its lifetime: slot index plus a generation, so a stale id never reaches the
/// fiber that later reuses the slot.
public struct FiberID: Equatable, Sendable {
  public let raw: UInt64
  public init(raw: UInt64) { self.raw = raw }
  init(index: Int, generation: UInt32) { raw = UInt64(generation) << 32 | UInt64(index) }
  public var index: Int { Int(raw & 0xFFFF_FFFF) }
  var generation: UInt32 { UInt32(truncatingIfNeeded: raw >> 32) }
}

public enum FiberState: UInt8, Sendable {
  case free = 0
  case ready
  case running
  case sleeping
  case waiting     // for an event source
  case dead        // ended; stack reclaimed once nothing runs on it
}

/// Why a fiber ended, kept for reports and tests.
public enum FiberEnd: UInt8, Sendable {
  case none = 0
  case returned
  case killed
  case promiseViolation
  case fault
}

struct Fiber {
  var sp: UnsafeMutableRawPointer? = nil
  var state: FiberState = .free
  var tier: Tier = .void
  var promises: Promises = []
  var generation: UInt32 = 0
  var parent: Int32 = -1
  var entry: UInt64 = 0
  var argument: UInt64 = 0
  var stack = Region.empty        // kernel stack (the only stack when the NPL shares the kernel's privilege)
  var userStack = Region.empty    // user-mode stack of an NPL fiber on a platform with user mode, else empty
  // Deadline queue position (-1 = not sleeping) and wake time.
  var heapIndex: Int32 = -1
  var deadline: UInt64 = 0
  var waitSource: UInt32 = 0
  var wakeValue: UInt64 = 0
  // Budget accounting in platform ticks.
  var runStart: UInt64 = 0
  var overruns: UInt32 = 0
  var worstRunTicks: UInt64 = 0
  var end: FiberEnd = .none
  var violation: Int8 = -1       // the syscall number that broke a promise, if any
  var partition = Partition()
  var unveil = UnveilSet()
  /// A service fiber (a driver): the cell ends when only such fibers are left.
  var daemon = false
  // Pads the size to the stride. Swift addresses the fields of an element of a type with tail
  // padding, reached through a pointer with a run-time index, as if they were unaligned, and on a
  // strict-alignment target every such load and store becomes a run of byte accesses.
  // KernelTests.LayoutTests keeps size == stride.
  var tailPadding = InlineArray<4, UInt8>(repeating: 0)

  var id: FiberID { FiberID(index: 0, generation: generation) }
}
