// pledge and unveil: a fiber narrows what it (and every fiber it starts later) may do.

import RumpkABI

/// pledge(promises): keep only these promises. Asking for a promise the caller does not hold is
/// EPERM (rights never grow). Tier bits 62–63 are ignored here: the tier is fixed at spawn.
func sysPledge(_ args: SyscallArgs) -> Int64 {
  let me = Scheduler.current
  guard me >= 0 else { return Errno.eperm.rawValue }
  let wanted = Promises(rawValue: args.a0 & ~Promises.tierMask)
  guard wanted.rawValue & ~Promises.all.rawValue == 0 else { return Errno.einval.rawValue }
  let held = Fibers.table[Int(me)].promises
  guard held.isSuperset(of: wanted) else { return Errno.eperm.rawValue }
  Fibers.table[Int(me)].promises = wanted
  return 0
}

/// unveil(name, len, perms): add `name` with permissions (bit 0 read, 1 write, 2 create); a null name
/// locks the set. Errors: EPERM once locked, EFAULT for a bad buffer, EINVAL for a bad name or
/// permission bits, ENOSPC when the set is full.
func sysUnveil(_ args: SyscallArgs) -> Int64 {
  let me = Scheduler.current
  guard me >= 0 else { return Errno.eperm.rawValue }
  if args.a0 == 0 {
    Fibers.table[Int(me)].unveil.lock()
    return 0
  }
  guard args.a2 & ~UInt64(UnveilPermissions.all.rawValue) == 0 else { return Errno.einval.rawValue }
  guard args.a1 >= 1, args.a1 <= UInt64(UnveilSet.nameCapacity) else { return Errno.einval.rawValue }
  guard let name = UserMemory.readable(args.a0, args.a1) else { return Errno.efault.rawValue }
  switch Fibers.table[Int(me)].unveil.add(name, UnveilPermissions(rawValue: UInt8(args.a2))) {
  case .ok: return 0
  case .locked: return Errno.eperm.rawValue
  case .full: return Errno.enospc.rawValue
  case .badName: return Errno.einval.rawValue
  }
}
