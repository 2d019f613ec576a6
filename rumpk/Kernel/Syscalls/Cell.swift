// time, random, halt: the calls about the cell as a whole.

import RumpkABI
import RumpkPlatform

func sysTime(_ args: SyscallArgs) -> Int64 {
  Int64(bitPattern: rumpk_platform_time_ns() & UInt64(Int64.max))
}

/// random(buf, len): fills the caller's buffer with entropy.
func sysRandom(_ args: SyscallArgs) -> Int64 {
  guard let buffer = UserMemory.writable(args.a0, args.a1) else { return Errno.efault.rawValue }
  if let base = buffer.baseAddress {
    Entropy.fill(base.assumingMemoryBound(to: UInt8.self), buffer.count)
  }
  return Int64(buffer.count)
}

/// halt(code): ends the cell; the code reaches whoever started it. Does not return.
func sysHalt(_ args: SyscallArgs) -> Int64 {
  Scheduler.halt(code: args.a0)
}
