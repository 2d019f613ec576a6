// A range of cell memory, the unit of ownership in the cellular memory model.

public struct Region: Equatable, Sendable {
  public var base: UInt64
  public var size: UInt64

  public init(base: UInt64, size: UInt64) {
    self.base = base
    self.size = size
  }

  public static let empty = Region(base: 0, size: 0)

  public var end: UInt64 { base &+ size }
  public var isEmpty: Bool { size == 0 }

  /// True when [address, address+length) lies inside this region. Assumes the caller has checked
  /// that address+length does not wrap.
  @inline(__always)
  public func contains(_ address: UInt64, _ length: UInt64) -> Bool {
    size != 0 && address >= base && address &+ length <= end && address &+ length >= address
  }

  @inline(__always)
  public func overlaps(_ address: UInt64, _ length: UInt64) -> Bool {
    size != 0 && length != 0 && address < end && address &+ length > base
  }
}

public let pageSize: UInt64 = 4096

@inline(__always)
func pageRound(_ v: UInt64) -> UInt64? {
  let (r, o) = v.addingReportingOverflow(pageSize - 1)
  return o ? nil : r & ~(pageSize - 1)
}
