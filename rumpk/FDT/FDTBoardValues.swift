// Checks for the values a kernel or hypervisor takes from a board's device tree, done before the
// value is used: each returns the value in a form whose later arithmetic cannot overflow, or the
// problem, whose `reason` a refusal message prints after the node and property ("/memory reg: size
// 0"). Shared by Rumpk's HALs and Rumkv and unit-tested on the host, so the same checks run on metal
// and in tests (docs/decisions/K10-board-values.md lists every value, its check and its fallback).

/// Why a value from the device tree is not used.
public enum BoardValueProblem: Error, Equatable {
  case missing
  /// The property is there but cannot be decoded (reg with #address-cells or #size-cells outside
  /// 0...2 or 0 + 0, too short for one entry, a cell count that is not 4 bytes).
  case undecodable
  case empty
  case wraps
  case atZero
  /// A device's registers lie beyond what the caller can reach (the kernel's device mapping).
  case outsideDevices
  /// Smaller than the registers the driver touches.
  case tooSmall
  case outOfRange
  /// /memory does not hold the image that is running (it ends below it, or starts above it).
  case missesImage

  /// Printed after "<node> <property>: ".
  public var reason: StaticString {
    switch self {
    case .missing: "missing"
    case .undecodable: "cannot be decoded (bad length or #address-cells/#size-cells)"
    case .empty: "size 0"
    case .wraps: "base + size wraps past 2^64"
    case .atZero: "at address 0"
    case .outsideDevices: "outside the device range this image maps"
    case .tooSmall: "smaller than the registers used"
    case .outOfRange: "value out of range"
    case .missesImage: "does not hold the running image"
    }
  }
}

/// A checked [base, end) range: base < end, no wrap.
public struct BoardRange: Equatable {
  public let base: UInt64
  public let end: UInt64
  public var size: UInt64 { end - base }

  /// Assumes nothing; nil when `size` is 0 or base + size does not fit in 64 bits.
  public init?(base: UInt64, size: UInt64) {
    let (end, overflow) = base.addingReportingOverflow(size)
    guard size != 0, !overflow else { return nil }
    self.base = base
    self.end = end
  }

  /// True when [start, start + count) lies inside, without wrapping.
  public func contains(_ start: UInt64, count: UInt64) -> Bool {
    let (last, overflow) = start.addingReportingOverflow(count)
    return !overflow && start >= base && last <= end
  }
}

public enum BoardValues {
  /// The largest device tree (totalsize) a reader takes: 4 MiB. QEMU's own virt tree (dumpdtb) has
  /// a 1 MiB totalsize, and QEMU loads a -dtb file into 2 × (file size + 10000) bytes, so QEMU's dump
  /// passed back with -dtb is 2.02 MiB; 4 MiB leaves about 1 MiB for what rumpkctl or a user adds.
  public static let treeSizeLimit = 4 << 20

  /// What the header at `address` says about size: nil when the magic is not there (no tree), else
  /// the totalsize it claims. Reads 8 bytes.
  public static func claimedTreeSize(at address: UnsafeRawPointer) -> UInt32? {
    let head = UnsafeRawBufferPointer(start: address, count: 8)
    guard loadBE32(head, 0) == FDTHeader.magic else { return nil }
    return loadBE32(head, 4)
  }

  /// The RAM region of `reg` (the first /memory reg entry), checked to be a non-empty range that
  /// does not wrap and that holds `image` (the running image, from its first byte to the end of what
  /// it loads). Guarantees on return: base ≤ image.lowerBound, image.upperBound ≤ end.
  public static func memory(_ reg: (address: UInt64, size: UInt64)?, holding image: Range<UInt64>)
    throws(BoardValueProblem) -> BoardRange
  {
    let r = try range(reg)
    guard r.base <= image.lowerBound, image.upperBound <= r.end else { throw .missesImage }
    return r
  }

  /// A device's register window from `reg`: at least `registers` bytes (the highest offset the
  /// driver touches, plus its width), not at 0, not wrapping, ending at or below `limit` (the end of
  /// the physical range the caller reaches devices in). Guarantees on return: base ≠ 0, base +
  /// registers ≤ end ≤ limit.
  public static func device(_ reg: (address: UInt64, size: UInt64)?, registers: UInt64, below limit: UInt64)
    throws(BoardValueProblem) -> BoardRange
  {
    let r = try range(reg)
    guard r.base != 0 else { throw .atZero }
    guard r.size >= registers else { throw .tooSmall }
    guard r.end <= limit else { throw .outsideDevices }
    return r
  }

  /// A non-empty, non-wrapping range from a decoded reg entry (nil: missing or undecodable, which
  /// the caller tells apart with FDT.regProblem when it matters).
  public static func range(_ reg: (address: UInt64, size: UInt64)?) throws(BoardValueProblem) -> BoardRange {
    guard let reg else { throw .undecodable }
    guard reg.size != 0 else { throw .empty }
    guard let r = BoardRange(base: reg.address, size: reg.size) else { throw .wraps }
    return r
  }

  /// A 16550's reg-shift (absent: 0). Registers are 1 << shift bytes apart; 0...2 are the values
  /// boards use (byte, half-word, word spacing), larger ones are refused.
  public static func regShift(_ value: UInt32?) throws(BoardValueProblem) -> UInt64 {
    guard let value else { return 0 }
    guard value <= 2 else { throw .outOfRange }
    return UInt64(value)
  }

  /// A 16550's reg-io-width (absent: 1). The driver makes byte accesses, which a 1- or 4-byte
  /// register (QEMU's ns16550a) takes; other widths are refused.
  public static func regIOWidth(_ value: UInt32?) throws(BoardValueProblem) -> UInt64 {
    guard let value else { return 1 }
    guard value == 1 || value == 4 else { throw .outOfRange }
    return UInt64(value)
  }
}

extension FDT {
  /// Why entry `index` of `n`'s reg cannot be had: .missing when there is no reg property,
  /// .undecodable when there is one but the entry cannot be decoded; nil when it can.
  public func regProblem(_ n: FDTWalkNode, index: Int) -> BoardValueProblem? {
    guard n.regValue != nil else { return .missing }
    return reg(n, index: index) == nil ? .undecodable : nil
  }
}
