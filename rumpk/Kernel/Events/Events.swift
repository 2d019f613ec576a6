// Two-phase event dispatch. Phase one runs where the event happens (an interrupt handler on metal, a
// device thread in hosted mode): it pushes a 16-byte descriptor onto the event ring and returns.
// Phase two runs in the scheduler: drain the ring, wake the fiber waiting on that source, or latch
// the event until someone waits. The ring has one producer and one consumer; a full ring refuses the
// push (the producer counts the loss) and never overwrites.

import RumpkPlatform

public struct EventDescriptor: Sendable {
  public var source: UInt32
  public var flags: UInt32
  public var value: UInt64
  public init(source: UInt32, flags: UInt32 = 0, value: UInt64) {
    self.source = source
    self.flags = flags
    self.value = value
  }
}

public enum Events {
  public static let sourceCount = 64
  static let slotCount = 256
  nonisolated(unsafe) static var slots: UnsafeMutablePointer<EventDescriptor> = UnsafeMutablePointer(bitPattern: 0x10)!
  /// [0] = head (producer), [8] = tail (consumer): separate cache lines.
  nonisolated(unsafe) static var cursors: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var waiters: UnsafeMutablePointer<Int32> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var latched: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var latchedSet: UInt64 = 0
  /// A source every NPL yield signals (0: none). NPLs reach kernel services (device channels) through
  /// shared rings with no doorbell of their own, and wait for an answer by yielding; a service fiber
  /// that sleeps on its interrupts sets this so that a yield wakes it to look at its request rings.
  nonisolated(unsafe) public static var yieldDoorbell: UInt32 = 0
  /// Pushes refused because the ring was full: the producer's count. `delivered`: events dispatched,
  /// the scheduler's count. Plain counters, each read on the side that writes it; only the ring's
  /// cursors synchronise the two sides.
  nonisolated(unsafe) public private(set) static var dropped: UInt64 = 0
  nonisolated(unsafe) public private(set) static var delivered: UInt64 = 0

  static func initialize() -> Bool {
    // Ring slots are written before they are read (only [tail, head) is ever read): not zeroed.
    guard let s = Bridgehead.reserve(EventDescriptor.self, count: slotCount),
          let c = Bridgehead.allocate(UInt64.self, count: 16),
          let w = Bridgehead.allocate(Int32.self, count: sourceCount),
          let l = Bridgehead.allocate(UInt64.self, count: sourceCount) else { return false }
    slots = s
    cursors = c
    waiters = w
    latched = l
    for i in 0..<sourceCount { w[i] = -1 }
    latchedSet = 0
    yieldDoorbell = 0
    DeviceInterrupts.reset()
    dropped = 0
    delivered = 0
    return true
  }

  /// Phase one: called from interrupt context or another thread. Never blocks; false when full.
  @discardableResult
  public static func push(_ e: EventDescriptor) -> Bool {
    let head = rumpk_load_relaxed_u64(cursors)
    let tail = rumpk_load_acquire_u64(cursors + 8)
    guard head &- tail < UInt64(slotCount) else {
      dropped &+= 1
      return false
    }
    slots[Int(head & UInt64(slotCount - 1))] = e
    rumpk_store_release_u64(cursors, head &+ 1)
    return true
  }

  /// A hint for the switch path: true when something may be waiting. Relaxed loads suffice, since
  /// drain() orders the slots with its own acquire; one read of `cursors` keeps it to five instructions.
  @inline(__always)
  static var pending: Bool {
    let c = cursors
    return rumpk_load_relaxed_u64(c) != rumpk_load_relaxed_u64(c + 8)
  }

  /// Phase two, in the scheduler: dispatch everything pushed so far.
  static func drain() {
    var tail = rumpk_load_relaxed_u64(cursors + 8)
    let head = rumpk_load_acquire_u64(cursors)
    while tail != head {
      let e = slots[Int(tail & UInt64(slotCount - 1))]
      tail &+= 1
      dispatch(e)
    }
    rumpk_store_release_u64(cursors + 8, tail)
  }

  static func dispatch(_ e: EventDescriptor) {
    guard e.source < UInt32(sourceCount) else { return }
    let s = Int(e.source)
    delivered &+= 1
    let w = waiters[s]
    if w >= 0 {
      waiters[s] = -1
      let i = Int(w)
      Fibers.table[i].wakeValue = e.value
      Fibers.table[i].state = .ready
      ReadyQueues.push(i)
    } else {
      latched[s] = e.value
      latchedSet |= 1 << UInt64(s)
    }
  }

  /// Called by the yield syscall: wakes (or latches an event for) the doorbell's service fiber.
  @inline(__always)
  static func ringYieldDoorbell() {
    if yieldDoorbell != 0 { dispatch(EventDescriptor(source: yieldDoorbell, value: 0)) }
  }

  static func takeLatched(_ source: UInt32) -> UInt64? {
    guard source < UInt32(sourceCount), latchedSet & (1 << UInt64(source)) != 0 else { return nil }
    latchedSet &= ~(1 << UInt64(source))
    return latched[Int(source)]
  }

  static func register(waiter: Int, source: UInt32) {
    if source < UInt32(sourceCount) { waiters[Int(source)] = Int32(waiter) }
  }

  static func unregister(waiter: Int) {
    for s in 0..<sourceCount where waiters[s] == Int32(waiter) { waiters[s] = -1 }
  }
}
