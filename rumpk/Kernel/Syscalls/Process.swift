// spawn, kill, yield: fibers starting, ending and sharing the CPU.

import RumpkABI

/// spawn(entry, arg, tier, promises): a child with at most the caller's promises, in the caller's
/// tier or a lower-priority one, inheriting the caller's unveil set. Returns the child's id.
/// Errors: EINVAL for an entry outside the image's code or a bad tier, EPERM for rights the caller
/// lacks, EAGAIN when the fiber table is full, ENOMEM when no stack fits in Wild.
func sysSpawn(_ args: SyscallArgs) -> Int64 {
  let me = Scheduler.current
  guard me >= 0 else { return Errno.eperm.rawValue }
  guard UserMemory.executable.contains(args.a0, 1) else { return Errno.einval.rawValue }
  guard args.a2 <= 3, let tier = Tier(rawValue: args.a2) else { return Errno.einval.rawValue }
  let parent = Fibers.table[Int(me)]
  let promises = Promises(rawValue: args.a3 & ~Promises.tierMask)
  guard parent.promises.isSuperset(of: promises), tier >= parent.tier else { return Errno.eperm.rawValue }
  do {
    let id = try Scheduler.spawn(entry: args.a0, argument: args.a1, tier: tier, promises: promises, unveil: parent.unveil,
                                  user: true)
    return Int64(bitPattern: id.raw & UInt64(Int64.max))
  } catch {
    return error.rawValue
  }
}

/// kill(fiber id): ends a fiber the caller started (its child). Killing oneself ends the caller.
/// Errors: ENOENT for a stale or unknown id, EPERM for a fiber that is not the caller's child.
func sysKill(_ args: SyscallArgs) -> Int64 {
  let me = Scheduler.current
  guard me >= 0 else { return Errno.eperm.rawValue }
  guard let target = Fibers.index(of: FiberID(raw: args.a0)) else { return Errno.enoent.rawValue }
  if target == Int(me) { Scheduler.exitCurrent(.killed) }
  guard Fibers.table[target].parent == me else { return Errno.eperm.rawValue }
  Scheduler.kill(target, .killed)
  return 0
}

/// yield(deadline): 0 gives the CPU to the next ready fiber of the same or a higher tier; a
/// deadline (monotonic ns) sleeps until then without any periodic tick.
func sysYield(_ args: SyscallArgs) -> Int64 {
  Events.ringYieldDoorbell()
  if args.a0 == 0 {
    Scheduler.yieldCurrent()
  } else {
    Scheduler.sleepCurrent(until: args.a0)
  }
  return 0
}
