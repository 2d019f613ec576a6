// read and write: console input and output only (bulk data moves over ION rings).

import RumpkABI
import RumpkPlatform

/// write(fd, buf, len): fd 1 or 2. Returns len, or EBADF / EFAULT for a bad fd or buffer.
func sysWrite(_ args: SyscallArgs) -> Int64 {
  guard args.a0 == 1 || args.a0 == 2 else { return Errno.ebadf.rawValue }
  guard let buffer = UserMemory.readable(args.a1, args.a2) else { return Errno.efault.rawValue }
  rumpk_platform_console_write(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count)
  return Int64(buffer.count)
}

/// read(fd, buf, len): fd 0. Returns the bytes available now (0 when none), or EBADF / EFAULT.
func sysRead(_ args: SyscallArgs) -> Int64 {
  guard args.a0 == 0 else { return Errno.ebadf.rawValue }
  guard let buffer = UserMemory.writable(args.a1, args.a2) else { return Errno.efault.rawValue }
  guard let base = buffer.baseAddress else { return 0 }
  return Int64(rumpk_platform_console_read(base.assumingMemoryBound(to: UInt8.self), buffer.count))
}
