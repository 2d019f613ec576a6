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

  /// The call's number as the argument register carries it (the SysTable index).
  @inlinable public var number: UInt64 { UInt64(rawValue) }

  /// How many calls there are: numbers at or above this are EINVAL.
  @inlinable public static var count: UInt64 { 12 }

  /// The promise a caller must still hold to make this call; nil for pledge and unveil, which only
  /// ever narrow what the caller may do.
  @inlinable public var requiredPromise: Promises? {
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

  // Computed and inlinable rather than `static let`: a stored global of another module is reached
  // through a lazy-initialisation check on every use, and the syscall path tests these constantly.
  @inlinable public static var stdio: Promises { Promises(rawValue: 1 << 0) }
  @inlinable public static var mem: Promises { Promises(rawValue: 1 << 1) }
  @inlinable public static var proc: Promises { Promises(rawValue: 1 << 2) }
  @inlinable public static var rand: Promises { Promises(rawValue: 1 << 3) }
  @inlinable public static var ring: Promises { Promises(rawValue: 1 << 4) }
  @inlinable public static var vfs: Promises { Promises(rawValue: 1 << 5) }
  @inlinable public static var halt: Promises { Promises(rawValue: 1 << 6) }

  @inlinable public static var all: Promises { Promises(rawValue: 0x7F) }
  @inlinable public static var tierShift: UInt64 { 62 }
  @inlinable public static var tierMask: UInt64 { 0b11 << 62 }
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
