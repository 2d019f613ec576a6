// Calls whose kernel machinery (promises, fibers, partitions) arrives with the kernel core (issue 3).
// Until then they refuse cleanly instead of pretending to work.

import RumpkABI

func sysPledge(_ args: SyscallArgs) -> Int64 { Errno.einval.rawValue }
func sysUnveil(_ args: SyscallArgs) -> Int64 { Errno.einval.rawValue }
func sysMap(_ args: SyscallArgs) -> Int64 { Errno.enomem.rawValue }
func sysUnmap(_ args: SyscallArgs) -> Int64 { Errno.einval.rawValue }
func sysSpawn(_ args: SyscallArgs) -> Int64 { Errno.eagain.rawValue }
func sysKill(_ args: SyscallArgs) -> Int64 { Errno.enoent.rawValue }
func sysYield(_ args: SyscallArgs) -> Int64 { 0 }
