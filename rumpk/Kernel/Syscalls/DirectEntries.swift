// SysTable entry points for code that runs in the kernel's own privilege (the foundation image at
// EL1, hosted mode): plain C-convention functions that call the dispatcher. Images that run NPLs in
// user mode install trap stubs instead; the dispatcher behind them is the same.

import RumpkABI

public enum DirectEntries {
  /// The address of each entry point, in syscall order.
  public static func addresses() -> [UInt64] {
    let entries: [SyscallEntry] = [
      { SyscallDispatch.dispatch(0, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(1, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(2, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(3, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(4, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(5, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(6, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(7, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(8, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(9, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(10, SyscallArgs($0, $1, $2, $3)) },
      { SyscallDispatch.dispatch(11, SyscallArgs($0, $1, $2, $3)) },
    ]
    return entries.map { UInt64(UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self))) }
  }
}
