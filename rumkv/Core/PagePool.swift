// Rumkv's only allocator: 4 KiB pages handed out in order from a fixed region of its own image and
// never returned (stage-2 tables, SysTable pages, the board tree copy). Running out is a refusal at
// boot, never a failure later.

public struct PagePool {
  public static let pageSize: UInt64 = 4096
  public let region: PhysicalRange
  public private(set) var next: UInt64

  /// `region` must be page aligned and owned by the caller.
  public init(region: PhysicalRange) {
    self.region = region
    next = region.base
  }

  /// `count` zeroed, contiguous pages; nil when the pool is exhausted.
  public mutating func allocate(pages count: Int) -> UnsafeMutableRawBufferPointer? {
    let bytes = UInt64(count) * PagePool.pageSize
    guard count > 0, region.end - next >= bytes else { return nil }
    let p = UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(next))!, count: Int(bytes))
    next += bytes
    var i = 0
    while i < p.count {
      p.storeBytes(of: 0, toByteOffset: i, as: UInt64.self)
      i += 8
    }
    return p
  }
}
