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

  @inline(__always)
  static func push(_ i: Int) {
    let t = Int(Fibers.table[i].tier.rawValue)
    Fibers.table[i].next = -1
    Fibers.table[i].prev = tails[t]
    if tails[t] >= 0 { Fibers.table[Int(tails[t])].next = Int32(i) } else { heads[t] = Int32(i) }
    tails[t] = Int32(i)
    nonEmpty |= 1 << UInt8(t)
  }

  /// The first fiber of the highest non-empty tier, removed; nil when nothing is ready.
  @inline(__always)
  static func pop() -> Int? {
    guard nonEmpty != 0 else { return nil }
    let t = Int(UInt8(nonEmpty).trailingZeroBitCount)
    let i = Int(heads[t])
    remove(i)
    return i
  }

  /// The tier pop() would take from next, if any.
  static var bestTier: Int? { nonEmpty == 0 ? nil : Int(nonEmpty.trailingZeroBitCount) }

  @inline(__always)
  static func remove(_ i: Int) {
    let t = Int(Fibers.table[i].tier.rawValue)
    let n = Fibers.table[i].next, p = Fibers.table[i].prev
    if p >= 0 { Fibers.table[Int(p)].next = n } else { heads[t] = n }
    if n >= 0 { Fibers.table[Int(n)].prev = p } else { tails[t] = p }
    Fibers.table[i].next = -1
    Fibers.table[i].prev = -1
    if heads[t] < 0 { nonEmpty &= ~(1 << UInt8(t)) }
  }
}
