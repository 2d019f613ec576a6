// What a HAL that runs NPL fibers in user mode (EL0 on aarch64; docs/decisions/K6-el0-npls.md) needs
// from the portable core: which fiber runs and what its partition holds (to open exactly that to
// user mode), the first-entry hook of a fresh fiber, and the ways a fiber ends from a trap.

public enum UserMode {
  /// Index of the running fiber, -1 in the kernel context.
  @inline(__always)
  public static var currentIndex: Int32 { Scheduler.current }


  /// Calls `body` with each region of the running fiber's partition (base, size, writable).
  public static func forEachCurrentRegion(_ body: (UInt64, UInt64, Bool) -> Void) {
    let me = Scheduler.current
    guard me >= 0 else { return }
    for i in 0..<Partition.capacity {
      let s = Fibers.table[Int(me)].partition.slots[i]
      if s.kind != .free && s.region.size != 0 { body(s.region.base, s.region.size, s.writable) }
    }
  }

  /// First thing a fresh user-mode fiber runs, still in the kernel, before it drops to user mode:
  /// what every switch does when it lands (reclaiming a fiber that just ended).
  public static func fiberStarting() { Scheduler.afterSwitch() }

  /// The NPL entry function of the running fiber returned: the fiber ends normally.
  public static func entryReturned() -> Never { Scheduler.exitCurrent(.returned) }

  /// The running fiber faulted in user mode (the HAL has reported it): the fiber ends, the cell goes on.
  public static func faulted() -> Never { Scheduler.exitCurrent(.fault) }
}
