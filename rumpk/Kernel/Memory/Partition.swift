// A fiber's partition: the regions it may touch. Its stack, what it mapped from Wild, and what other
// fibers granted it. Every pointer an NPL passes to the kernel is checked against this (and the
// cell-wide shared regions), never trusted.

public enum RegionKind: UInt8, Sendable {
  case free = 0
  case stack = 1
  case mapped = 2
  case granted = 3   // a region another fiber granted; `grant` names the grant
  case named = 4     // a named channel region the kernel handed out through map
}

public struct OwnedRegion: Sendable {
  public var region: Region = .empty
  public var kind: RegionKind = .free
  public var writable: Bool = false
  public var grant: UInt32 = 0
}

public struct Partition: Sendable {
  public static let capacity = 12
  public var slots = InlineArray<12, OwnedRegion>(repeating: OwnedRegion())

  /// Bumped by every change to any partition, so a platform that mirrors the running fiber's
  /// partition in page tables (EL0) can tell cheaply whether its copy is stale.
  nonisolated(unsafe) public static var changes: UInt64 = 0

  public init() {}

  /// Adds a region; false when the table is full.
  public mutating func add(_ r: OwnedRegion) -> Bool {
    for i in 0..<Partition.capacity where slots[i].kind == .free {
      slots[i] = r
      Partition.changes &+= 1
      return true
    }
    return false
  }

  /// The slot that is exactly `region` with `kind`, if any.
  public func find(_ region: Region, kind: RegionKind) -> Int? {
    for i in 0..<Partition.capacity where slots[i].kind == kind && slots[i].region == region { return i }
    return nil
  }

  public func findGrant(_ id: UInt32) -> Int? {
    for i in 0..<Partition.capacity where slots[i].kind == .granted && slots[i].grant == id { return i }
    return nil
  }

  public mutating func remove(at i: Int) {
    if slots[i].kind != .free { Partition.changes &+= 1 }
    slots[i] = OwnedRegion()
  }

  /// True when [address, address+length) lies inside one region, writable if `write`.
  @inline(__always)
  public func permits(_ address: UInt64, _ length: UInt64, write: Bool) -> Bool {
    for i in 0..<Partition.capacity {
      let s = slots[i]
      if s.kind != .free && s.region.contains(address, length) && (!write || s.writable) { return true }
    }
    return false
  }
}
