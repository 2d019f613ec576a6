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
    guard number < Syscall.count else { return Errno.einval.rawValue }
    checkPromise(number)
    switch number {
    case Syscall.pledge.number: return sysPledge(args)
    case Syscall.unveil.number: return sysUnveil(args)
    case Syscall.read.number: return sysRead(args)
    case Syscall.write.number: return sysWrite(args)
    case Syscall.map.number: return sysMap(args)
    case Syscall.unmap.number: return sysUnmap(args)
    case Syscall.spawn.number: return sysSpawn(args)
    case Syscall.kill.number: return sysKill(args)
    case Syscall.yield.number: return sysYield(args)
    case Syscall.time.number: return sysTime(args)
    case Syscall.random.number: return sysRandom(args)
    default: return sysHalt(args)
    }
  }

  /// `dispatch` with every handler behind a real call instead of inlined into the caller, for a
  /// trap entry that should not pay the largest handler's register saves on every call (riscv64:
  /// `rumpk_syscall`, docs/decisions/K6-el0-npls.md). Same checks, same results.
  @inline(__always)
  public static func dispatchOutlined(_ number: UInt64, _ args: SyscallArgs) -> Int64 {
    guard number < Syscall.count else { return Errno.einval.rawValue }
    checkPromise(number)
    switch number {
    case Syscall.pledge.number: return Outlined.pledge(args)
    case Syscall.unveil.number: return Outlined.unveil(args)
    case Syscall.read.number: return Outlined.read(args)
    case Syscall.write.number: return Outlined.write(args)
    case Syscall.map.number: return Outlined.map(args)
    case Syscall.unmap.number: return Outlined.unmap(args)
    case Syscall.spawn.number: return Outlined.spawn(args)
    case Syscall.kill.number: return Outlined.kill(args)
    case Syscall.yield.number: return Outlined.yield(args)
    case Syscall.time.number: return Outlined.time(args)
    case Syscall.random.number: return Outlined.random(args)
    default: return Outlined.halt(args)
    }
  }

  /// The promise check, once per call: a call without its promise ends the calling fiber (never
  /// returns to it). Assumes number < Syscall.count. Outside any fiber (early boot) there is nothing to check.
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
    case Syscall.read.number, Syscall.write.number, Syscall.yield.number, Syscall.time.number:
      return Promises.stdio.rawValue
    case Syscall.map.number, Syscall.unmap.number: return Promises.mem.rawValue
    case Syscall.spawn.number, Syscall.kill.number: return Promises.proc.rawValue
    case Syscall.random.number: return Promises.rand.rawValue
    case Syscall.halt.number: return Promises.halt.rawValue
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
    switch UInt64(n) {
    case Syscall.pledge.number: return "pledge"
    case Syscall.unveil.number: return "unveil"
    case Syscall.read.number: return "read"
    case Syscall.write.number: return "write"
    case Syscall.map.number: return "map"
    case Syscall.unmap.number: return "unmap"
    case Syscall.spawn.number: return "spawn"
    case Syscall.kill.number: return "kill"
    case Syscall.yield.number: return "yield"
    case Syscall.time.number: return "time"
    case Syscall.random.number: return "random"
    default: return "halt"
    }
  }
}
