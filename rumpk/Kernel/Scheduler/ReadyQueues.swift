// One FIFO of ready fibers per Spectrum tier, linked through the fibers themselves (no allocation).
// Strict priority between tiers, round-robin within one: take from the highest non-empty tier, put
// back at the tail.

import RumpkABI

enum ReadyQueues {
  nonisolated(unsafe) static var heads = InlineArray<4, Int32>(repeating: -1)
  nonisolated(unsafe) static var tails = InlineArray<4, Int32>(repeating: -1)
  nonisolated(unsafe) static var nonEmpty: UInt8 = 0   // bit t set when tier t has fibers

  static func reset() {
    heads = InlineArray(repeating: -1)
    tails = InlineArray(repeating: -1)
    nonEmpty = 0
  }

  // Tier raw values are 0...3 by construction, so the per-tier arrays are indexed unchecked: these
  // run at every switch.

  @inline(__always)
  static func push(_ i: Int) {
    let table = Fibers.table
    let t = Int(table[i].tier.rawValue)
    let tail = tails[unchecked: t]
    table[i].next = -1
    table[i].prev = tail
    if tail >= 0 { table[Int(tail)].next = Int32(i) } else { heads[unchecked: t] = Int32(i) }
    tails[unchecked: t] = Int32(i)
    nonEmpty |= 1 &<< UInt8(t)
  }

  /// The first fiber of the highest non-empty tier, removed; nil when nothing is ready.
  @inline(__always)
  static func pop() -> Int? {
    guard nonEmpty != 0 else { return nil }
    return popHead(bestTier)
  }

  /// Like pop(), but only from tiers at least as urgent as `tier` (raw value ≤ tier): what a
  /// yielding fiber of that tier gives the CPU to. nil leaves the queues untouched.
  @inline(__always)
  static func pop(atOrAbove tier: Int) -> Int? {
    guard nonEmpty != 0 else { return nil }
    let best = bestTier
    return best <= tier ? popHead(best) : nil
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
    let table = Fibers.table
    let i = Int(heads[unchecked: t])
    let n = table[i].next
    heads[unchecked: t] = n
    if n >= 0 { table[Int(n)].prev = -1 } else { tails[unchecked: t] = -1; nonEmpty &= ~(1 &<< UInt8(t)) }
    table[i].next = -1
    return i
  }

  @inline(__always)
  static func remove(_ i: Int) {
    let table = Fibers.table
    let t = Int(table[i].tier.rawValue)
    let n = table[i].next, p = table[i].prev
    if p >= 0 { table[Int(p)].next = n } else { heads[unchecked: t] = n }
    if n >= 0 { table[Int(n)].prev = p } else { tails[unchecked: t] = p }
    table[i].next = -1
    table[i].prev = -1
    if heads[unchecked: t] < 0 { nonEmpty &= ~(1 &<< UInt8(t)) }
  }
}
