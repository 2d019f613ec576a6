// The Rumkv hypercalls of DESIGN §3.4, independent of how they arrive (aarch64 hvc #0 with the call
// number in x0; riscv64 ecall under a vendor SBI extension). Arguments are untrusted: every buffer is
// checked against the caller's window, every unknown number or state answers -EINVAL.

public enum HypercallNumber {
  public static let info: UInt64 = 0
  public static let console: UInt64 = 1
  public static let doorbell: UInt64 = 2
  public static let status: UInt64 = 3
}

public enum HypercallError {
  public static let efault: Int64 = -14
  public static let einval: Int64 = -22
}

/// What the cell told Rumkv about itself through the status hypercall.
public enum CellState: UInt64 {
  case booting = 0
  case ready = 1
  case degraded = 2
}

public enum Hypercall {
  /// Longest console write in one call; longer requests write this many bytes and return the count.
  public static let consoleChunk: UInt64 = 4096

  /// True for the call numbers this handler owns (the arch code routes everything else, e.g. PSCI).
  public static func owns(_ number: UInt64) -> Bool { number <= HypercallNumber.status }

  /// Handles call `number` for `cell`. Returns the value for the cell's result register.
  public static func handle(_ number: UInt64, _ a1: UInt64, _ a2: UInt64, cell: Cell, memory: GuestMemory,
                            sysTable: UInt64) -> Int64 {
    switch number {
    case HypercallNumber.info:
      // a1 = IPA of a buffer, a2 = its length (at least CellInfoLayout.size).
      guard a2 >= UInt64(CellInfoLayout.size) else { return HypercallError.einval }
      guard let out = memory.bytes(at: a1, count: UInt64(CellInfoLayout.size)) else { return HypercallError.efault }
      CellInfo.write(cell, sysTable: sysTable, into: out)
      return Int64(CellInfoLayout.size)
    case HypercallNumber.console:
      // a1 = IPA of the bytes, a2 = their count.
      let n = min(a2, consoleChunk)
      guard let bytes = memory.bytes(at: a1, count: n) else { return HypercallError.efault }
      Console.put(bytes: UnsafeRawBufferPointer(bytes))
      return Int64(n)
    case HypercallNumber.doorbell:
      return HypercallError.einval  // no inter-cell channels yet
    case HypercallNumber.status:
      guard let state = CellState(rawValue: a1) else { return HypercallError.einval }
      cell.begin()
      Console.put("status ")
      let name: StaticString
      switch state {
      case .booting: name = "booting"
      case .ready: name = "ready"
      case .degraded: name = "degraded"
      }
      Console.put(name)
      Console.end()
      Management.cell(cell, "status", state: name)
      return 0
    default:
      return HypercallError.einval
    }
  }
}
