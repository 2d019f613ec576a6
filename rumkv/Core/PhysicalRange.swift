// A range of physical (or, for cells, intermediate physical) addresses [base, base + size) that
// cannot wrap: construction refuses a range whose end overflows.

public struct PhysicalRange: Equatable {
  public let base: UInt64
  public let size: UInt64

  /// Nil when base + size overflows 64 bits.
  public init?(base: UInt64, size: UInt64) {
    guard !base.addingReportingOverflow(size).overflow else { return nil }
    self.base = base
    self.size = size
  }

  public var end: UInt64 { base + size }

  /// True when both ranges share at least one byte (an empty range overlaps nothing).
  public func overlaps(_ other: PhysicalRange) -> Bool {
    size != 0 && other.size != 0 && base < other.end && other.base < end
  }

  /// True when `other` lies entirely inside this range.
  public func contains(_ other: PhysicalRange) -> Bool {
    other.base >= base && other.end <= end
  }

  /// True when [address, address + length) lies inside this range without wrapping.
  public func contains(address: UInt64, length: UInt64) -> Bool {
    guard let r = PhysicalRange(base: address, size: length) else { return false }
    return contains(r)
  }

  public func isAligned(_ alignment: UInt64) -> Bool {
    base & (alignment - 1) == 0 && size & (alignment - 1) == 0
  }
}
