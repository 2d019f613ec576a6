// One FIFO of ready fibers per Spectrum tier. Strict priority between tiers, round-robin within one:
// take from the highest non-empty tier, put back at the tail. Each FIFO is a ring of fiber indices
// in the Bridgehead with room for every fiber of the cell, so push and pop are one store or load
// and a counter step, and a yield within one tier (`rotate`) touches no fiber entry at all.

import RumpkABI

enum ReadyQueues {
  nonisolated(unsafe) static var slots: UnsafeMutablePointer<Int32> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var shift: UInt32 = 0        // ring size = 1 << shift
  nonisolated(unsafe) static var mask: UInt32 = 0
  nonisolated(unsafe) static var heads = InlineArray<4, UInt32>(repeating: 0)   // next to take
  nonisolated(unsafe) static var tails = InlineArray<4, UInt32>(repeating: 0)   // next free
  nonisolated(unsafe) static var nonEmpty: UInt8 = 0   // bit t set when tier t has fibers

  /// Takes rings for `capacity` fibers from the Bridgehead (contents need no initialisation: only
  /// the slots between head and tail are ever read). Assumes capacity ≥ 1.
  static func initialize(capacity: Int) -> Bool {
    var s: UInt32 = 0
    while (1 << s) < capacity { s += 1 }
    guard let p = Bridgehead.reserve(Int32.self, count: 4 << Int(s)) else { return false }
    slots = p
    shift = s
    mask = (1 << s) - 1
    reset()
    return true
  }

  static func reset() {
    heads = InlineArray(repeating: 0)
    tails = InlineArray(repeating: 0)
    nonEmpty = 0
  }

  // Tier raw values are 0...3 by construction, so the per-tier arrays are indexed unchecked: these
  // run at every switch. A ring never overflows: a fiber is in at most one queue, and each ring
  // has room for every fiber.

  @inline(__always)
  static func slot(_ t: Int, _ position: UInt32) -> UnsafeMutablePointer<Int32> {
    slots + Int(UInt32(t) &<< shift | position & mask)
  }

  /// Puts fiber `i`, not queued anywhere, at the back of its tier's queue.
  @inline(__always)
  static func push(_ i: Int) {
    let t = Int(Fibers.table[i].tier.rawValue)
    let tail = tails[unchecked: t]
    slot(t, tail).pointee = Int32(truncatingIfNeeded: i)
    tails[unchecked: t] = tail &+ 1
    nonEmpty |= 1 &<< UInt8(t)
  }

  /// The first fiber of the highest non-empty tier, removed; nil when nothing is ready.
  @inline(__always)
  static func pop() -> Int? {
    guard nonEmpty != 0 else { return nil }
    return popHead(bestTier)
  }

  /// A yield of the running fiber `me` of tier `tier`: when a fiber at least as urgent is ready it
  /// is taken and `me` goes to the back of its own queue; nil (queues untouched) otherwise. When
  /// only `me`'s own tier has fibers at or above it, that is one load and one store.
  @inline(__always)
  static func rotate(_ me: Int, tier: Int) -> Int? {
    let mine: UInt8 = 1 &<< UInt8(truncatingIfNeeded: tier)
    let urgent = nonEmpty & ((mine &<< 1) &- 1)
    guard urgent != 0 else { return nil }
    guard urgent == mine else {
      let next = popHead(bestTier)
      push(me)
      return next
    }
    let head = heads[unchecked: tier], tail = tails[unchecked: tier]
    let next = Int(slot(tier, head).pointee)
    slot(tier, tail).pointee = Int32(truncatingIfNeeded: me)
    heads[unchecked: tier] = head &+ 1
    tails[unchecked: tier] = tail &+ 1
    return next
  }

  /// The most urgent non-empty tier; assumes nonEmpty != 0. Four tiers make `nonEmpty` a nibble, so
  /// its trailing zero count is a nibble of one constant (three instructions; riscv64 without Zbb
  /// would otherwise count bits in about fifteen).
  @inline(__always)
  static var bestTier: Int {
    Int(truncatingIfNeeded: (0x0102_0103_0102_0100 as UInt64) >> (UInt64(nonEmpty & 0xF) << 2) & 0xF)
  }

  /// Removes the head of non-empty tier `t`.
  @inline(__always)
  static func popHead(_ t: Int) -> Int {
    let head = heads[unchecked: t]
    let i = Int(slot(t, head).pointee)
    heads[unchecked: t] = head &+ 1
    if head &+ 1 == tails[unchecked: t] { nonEmpty &= ~(1 &<< UInt8(t)) }
    return i
  }

  /// Takes fiber `i` out of its tier's queue wherever it stands (a ready fiber killed); the order of
  /// the others is kept. Linear in the queue's length: kills are rare, yields are not.
  static func remove(_ i: Int) {
    let t = Int(Fibers.table[i].tier.rawValue)
    let tail = tails[unchecked: t]
    var p = heads[unchecked: t]
    while p != tail && Int(slot(t, p).pointee) != i { p &+= 1 }
    guard p != tail else { return }
    while p &+ 1 != tail {
      slot(t, p).pointee = slot(t, p &+ 1).pointee
      p &+= 1
    }
    tails[unchecked: t] = tail &- 1
    if heads[unchecked: t] == tail &- 1 { nonEmpty &= ~(1 &<< UInt8(t)) }
  }
}
