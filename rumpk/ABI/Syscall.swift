// The 12 syscalls of ABI version 1 (DESIGN §3.2). The raw value is the SysTable index.

public enum Syscall: Int, CaseIterable, Sendable {
  case pledge = 0
  case unveil = 1
  case read = 2
  case write = 3
  case map = 4
  case unmap = 5
  case spawn = 6
  case kill = 7
  case yield = 8
  case time = 9
  case random = 10
  case halt = 11

  /// The promise a caller must still hold to make this call; nil for pledge and unveil, which only
  /// ever narrow what the caller may do.
  public var requiredPromise: Promises? {
    switch self {
    case .pledge, .unveil: return nil
    case .read, .write, .yield, .time: return .stdio
    case .map, .unmap: return .mem
    case .spawn, .kill: return .proc
    case .random: return .rand
    case .halt: return .halt
    }
  }
}

/// Every SysTable entry point has this one signature: four u64 arguments, one i64 result
/// (≥ 0 success, < 0 an `Errno`). Calls with fewer arguments ignore the rest.
public typealias SyscallEntry = @convention(c) (UInt64, UInt64, UInt64, UInt64) -> Int64

/// Error results of ABI version 1, as returned (negative) in the result register.
public enum Errno: Int64, Error {
  case eperm = -1
  case enoent = -2
  case ebadf = -9
  case eagain = -11
  case enomem = -12
  case efault = -14
  case einval = -22
  case enospc = -28
}

/// Promise bits (DESIGN §3.2). Bits 62–63 carry the Spectrum tier and are not promises.
public struct Promises: OptionSet, Equatable, Sendable {
  public let rawValue: UInt64
  public init(rawValue: UInt64) { self.rawValue = rawValue }

  public static let stdio = Promises(rawValue: 1 << 0)
  public static let mem = Promises(rawValue: 1 << 1)
  public static let proc = Promises(rawValue: 1 << 2)
  public static let rand = Promises(rawValue: 1 << 3)
  public static let ring = Promises(rawValue: 1 << 4)
  public static let vfs = Promises(rawValue: 1 << 5)
  public static let halt = Promises(rawValue: 1 << 6)

  public static let all: Promises = [.stdio, .mem, .proc, .rand, .ring, .vfs, .halt]
  public static let tierShift: UInt64 = 62
  public static let tierMask: UInt64 = 0b11 << 62
}

/// Spectrum tiers, highest priority first. Encoded in promise bits 62–63.
public enum Tier: UInt64, CaseIterable, Comparable, Sendable {
  case photon = 0
  case matter = 1
  case gravity = 2
  case void = 3

  public static func < (a: Tier, b: Tier) -> Bool { a.rawValue < b.rawValue }

  /// Budget of one run before an overrun is reported; nil is unlimited.
  public var budgetNanoseconds: UInt64? {
    switch self {
    case .photon: return 2_000_000
    case .matter: return 10_000_000
    case .gravity: return 50_000_000
    case .void: return nil
    }
  }
}
