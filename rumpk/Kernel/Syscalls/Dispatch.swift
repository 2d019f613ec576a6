// One dispatcher for the 12 syscalls (DESIGN §3.2). Every handler has the same signature, takes the
// raw argument registers and returns the raw result register; the SysTable entry points (direct calls
// in the foundation image, trap stubs at EL0 later) all land here.

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
  /// Routes call number `number` to its handler. Assumes nothing about the arguments: an unknown
  /// number is EINVAL, and every handler validates its own arguments.
  public static func dispatch(_ number: UInt64, _ args: SyscallArgs) -> Int64 {
    guard number < UInt64(SysTableLayout.syscallCount), let call = Syscall(rawValue: Int(number)) else {
      return Errno.einval.rawValue
    }
    switch call {
    case .pledge: return sysPledge(args)
    case .unveil: return sysUnveil(args)
    case .read: return sysRead(args)
    case .write: return sysWrite(args)
    case .map: return sysMap(args)
    case .unmap: return sysUnmap(args)
    case .spawn: return sysSpawn(args)
    case .kill: return sysKill(args)
    case .yield: return sysYield(args)
    case .time: return sysTime(args)
    case .random: return sysRandom(args)
    case .halt: return sysHalt(args)
    }
  }
}
