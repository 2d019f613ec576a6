// One dispatcher for the 12 syscalls (DESIGN §3.2). Every handler has the same signature: the raw
// argument registers in, the raw result register out. The SysTable entry points (direct calls at
// EL1 and in hosted mode, trap stubs from EL0 later) all land here. The promise check happens once,
// here: a call without its promise ends the calling fiber (not the cell) and is recorded.

import RumpkABI

/// The argument registers of one call, uninterpreted.
public struct SyscallArgs {
  public var a0: UInt64, a1: UInt64, a2: UInt64, a3: UInt64
  public init(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64) {
    self.a0 = a0; self.a1 = a1; self.a2 = a2; self.a3 = a3
  }
}

public typealias SyscallHandler = (SyscallArgs) -> Int64

public enum SyscallDispatch {
  /// Routes call `number`. Assumes nothing about the arguments: an unknown number is EINVAL, and
  /// every handler validates its own. Outside any fiber (early boot) only the promise check is skipped.
  @inline(__always)
  public static func dispatch(_ number: UInt64, _ args: SyscallArgs) -> Int64 {
    guard number < 12 else { return Errno.einval.rawValue }
    checkPromise(number)
    switch number {
    case 0: return sysPledge(args)
    case 1: return sysUnveil(args)
    case 2: return sysRead(args)
    case 3: return sysWrite(args)
    case 4: return sysMap(args)
    case 5: return sysUnmap(args)
    case 6: return sysSpawn(args)
    case 7: return sysKill(args)
    case 8: return sysYield(args)
    case 9: return sysTime(args)
    case 10: return sysRandom(args)
    default: return sysHalt(args)
    }
  }

  /// `dispatch` with every handler behind a real call instead of inlined into the caller, for a
  /// trap entry that should not pay the largest handler's register saves on every call (riscv64:
  /// `rumpk_syscall`, docs/decisions/K6-el0-npls.md). Same checks, same results.
  @inline(__always)
  public static func dispatchOutlined(_ number: UInt64, _ args: SyscallArgs) -> Int64 {
    guard number < 12 else { return Errno.einval.rawValue }
    checkPromise(number)
    switch number {
    case 0: return Outlined.pledge(args)
    case 1: return Outlined.unveil(args)
    case 2: return Outlined.read(args)
    case 3: return Outlined.write(args)
    case 4: return Outlined.map(args)
    case 5: return Outlined.unmap(args)
    case 6: return Outlined.spawn(args)
    case 7: return Outlined.kill(args)
    case 8: return Outlined.yield(args)
    case 9: return Outlined.time(args)
    case 10: return Outlined.random(args)
    default: return Outlined.halt(args)
    }
  }

  /// The promise check, once per call: a call without its promise ends the calling fiber (never
  /// returns to it). Assumes number < 12. Outside any fiber (early boot) there is nothing to check.
  @inline(__always)
  static func checkPromise(_ number: UInt64) {
    let me = Scheduler.current
    guard me >= 0 else { return }
    let need = requiredPromiseBits(number)
    if need != 0 && Fibers.table[Int(me)].promises.rawValue & need == 0 {
      violation(Int(me), Int(number))
    }
  }

  enum Outlined {
    @inline(never) static func pledge(_ a: SyscallArgs) -> Int64 { sysPledge(a) }
    @inline(never) static func unveil(_ a: SyscallArgs) -> Int64 { sysUnveil(a) }
    @inline(never) static func read(_ a: SyscallArgs) -> Int64 { sysRead(a) }
    @inline(never) static func write(_ a: SyscallArgs) -> Int64 { sysWrite(a) }
    @inline(never) static func map(_ a: SyscallArgs) -> Int64 { sysMap(a) }
    @inline(never) static func unmap(_ a: SyscallArgs) -> Int64 { sysUnmap(a) }
    @inline(never) static func spawn(_ a: SyscallArgs) -> Int64 { sysSpawn(a) }
    @inline(never) static func kill(_ a: SyscallArgs) -> Int64 { sysKill(a) }
    @inline(never) static func yield(_ a: SyscallArgs) -> Int64 { sysYield(a) }
    @inline(never) static func time(_ a: SyscallArgs) -> Int64 { sysTime(a) }
    @inline(never) static func random(_ a: SyscallArgs) -> Int64 { sysRandom(a) }
    @inline(never) static func halt(_ a: SyscallArgs) -> Int64 { sysHalt(a) }
  }

  /// The promise bit call `number` needs (0: none), as `Syscall.requiredPromise` says (the
  /// pledge-matrix tests hold the two together). A switch, not a table: inlined into `dispatch`, the
  /// compiler merges it with the handler switch (a packed nibble constant measured 4-10 instructions
  /// more per call in the bench guest).
  @inline(__always)
  static func requiredPromiseBits(_ number: UInt64) -> UInt64 {
    switch number {
    case 2, 3, 8, 9: return Promises.stdio.rawValue
    case 4, 5: return Promises.mem.rawValue
    case 6, 7: return Promises.proc.rawValue
    case 10: return Promises.rand.rawValue
    case 11: return Promises.halt.rawValue
    default: return 0
    }
  }

  /// Records the broken promise and ends the calling fiber. Never returns to it.
  static func violation(_ fiber: Int, _ number: Int) -> Never {
    Fibers.table[fiber].violation = Int8(number)
    Console.put("rumpk: fiber "); Console.dec(UInt64(fiber)); Console.put(" called "); Console.put(name(number))
    Console.put(" without its promise; fiber ended\n")
    Scheduler.exitCurrent(.promiseViolation)
  }

  static func name(_ n: Int) -> StaticString {
    switch n {
    case 0: return "pledge"
    case 1: return "unveil"
    case 2: return "read"
    case 3: return "write"
    case 4: return "map"
    case 5: return "unmap"
    case 6: return "spawn"
    case 7: return "kill"
    case 8: return "yield"
    case 9: return "time"
    case 10: return "random"
    default: return "halt"
    }
  }
}
