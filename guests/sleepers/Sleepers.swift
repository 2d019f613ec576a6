// sleepers: tickless sleeping across Spectrum tiers, through the ABI only. The main fiber (Matter)
// spawns nine sleepers in the Matter, Gravity and Void tiers with deadlines 5-50 ms after one common
// start, some sharing a deadline. Each reports when it woke and how long after its deadline; the last
// one prints the wake order and halts the cell. Deadlines order the wakes; on a shared deadline the
// higher tier runs first. Expected: "sleepers: order 7 2 5 4 9 8 3 1 6", six distinct deadlines.
// No String interpolation: numbers are formatted into a small stack buffer.

import RumpkABI

let sleeperCount: UInt64 = 9

/// Sleeper n (1-based): milliseconds after the start, and tier.
func plan(_ n: UInt64) -> (ms: UInt64, tier: Tier) {
  switch n {
  case 1: return (40, .void)
  case 2: return (10, .matter)
  case 3: return (30, .gravity)
  case 4: return (20, .matter)
  case 5: return (10, .void)
  case 6: return (50, .gravity)
  case 7: return (5, .gravity)
  case 8: return (30, .matter)
  default: return (20, .void)
  }
}

nonisolated(unsafe) var start: UInt64 = 0
nonisolated(unsafe) var woken: UInt64 = 0
nonisolated(unsafe) var early = false
nonisolated(unsafe) var order: (UInt64, UInt64) = (0, 0)  // wake order, one byte per sleeper

func writeNumber(_ v: UInt64) {
  var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
  withUnsafeMutableBytes(of: &buffer) { b in
    var i = b.count
    var x = v
    repeat {
      i -= 1
      b[i] = 48 &+ UInt8(truncatingIfNeeded: x % 10)
      x /= 10
    } while x != 0
    NPL.write(UnsafeRawBufferPointer(rebasing: b[i...]))
  }
}

func tierName(_ t: Tier) -> StaticString {
  switch t {
  case .photon: return "photon"
  case .matter: return "matter"
  case .gravity: return "gravity"
  case .void: return "void"
  }
}

@_cdecl("sleepers_sleeper")
public func sleeper(_ n: UInt64) {
  let (ms, tier) = plan(n)
  let deadline = start &+ ms &* 1_000_000
  _ = NPL.yield(until: deadline)
  let now = NPL.time()
  NPL.write("sleepers: woke ")
  writeNumber(n)
  NPL.write(" (")
  NPL.write(tierName(tier))
  NPL.write(", ")
  writeNumber(ms)
  if now >= deadline {
    NPL.write(" ms) +")
    writeNumber(now - deadline)
    NPL.write(" ns\n")
  } else {
    early = true
    NPL.write(" ms) EARLY\n")
  }
  withUnsafeMutableBytes(of: &order) { $0[Int(woken)] = UInt8(n) }
  woken += 1
  guard woken == sleeperCount else { return }
  NPL.write("sleepers: order")
  for i in 0..<Int(sleeperCount) {
    NPL.write(" ")
    writeNumber(UInt64(withUnsafeBytes(of: &order) { $0[i] }))
  }
  NPL.write("\n")
  NPL.halt(early ? 1 : 0)
}

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  NPL.write("sleepers: 9 fibers in 3 tiers, 6 distinct deadlines\n")
  let entry: @convention(c) (UInt64) -> Void = sleeper
  let address = UInt64(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self)))
  start = NPL.time()
  for n in 1...sleeperCount {
    let r = NPL.spawn(entry: address, arg: n, tier: plan(n).tier, promises: [.stdio, .halt])
    if r < 0 {
      NPL.write("sleepers: spawn failed, error ")
      writeNumber(UInt64(-r))
      NPL.write("\n")
      NPL.halt(1)
    }
  }
}
