// The Wild region: pages for fiber stacks, NPL heaps and DMA buffers, handed out in contiguous runs.
// A bitmap (one bit per 4 KiB page, kept in the Bridgehead) with a next-fit cursor, so the common
// allocate-then-free pattern of stacks stays O(1) on average. Exhaustion is an answer (nil), never a
// crash.

public enum WildAllocator {
  nonisolated(unsafe) public private(set) static var region = Region.empty
  nonisolated(unsafe) static var bitmap: UnsafeMutablePointer<UInt64>? = nil
  nonisolated(unsafe) static var pages: Int = 0
  nonisolated(unsafe) static var cursor: Int = 0
  nonisolated(unsafe) public private(set) static var freePages: Int = 0

  /// Manages the page-aligned part of `r`. The bitmap comes from the Bridgehead.
  /// Returns false when the Bridgehead cannot hold the bitmap.
  public static func initialize(_ r: Region) -> Bool {
    let base = pageRound(r.base) ?? r.end
    let count = base < r.end ? Int((r.end - base) / pageSize) : 0
    guard let map = Bridgehead.allocate(UInt64.self, count: (count + 63) / 64) else { return false }
    region = Region(base: base, size: UInt64(count) * pageSize)
    bitmap = map
    pages = count
    cursor = 0
    freePages = count
    return true
  }

  /// A run of `count` free pages, marked used; nil when no such run exists.
  public static func allocate(pages count: Int) -> UInt64? {
    guard count > 0, count <= freePages, let map = bitmap else { return nil }
    var start = cursor
    var scanned = 0
    while scanned < pages {
      if start + count > pages {
        scanned += pages - start
        start = 0
        continue
      }
      var run = 0
      while run < count && !isUsed(map, start + run) { run += 1 }
      if run == count {
        for i in start..<(start + count) { setUsed(map, i, true) }
        freePages -= count
        cursor = start + count == pages ? 0 : start + count
        return region.base + UInt64(start) * pageSize
      }
      start += run + 1
      scanned += run + 1
    }
    return nil
  }

  /// Returns pages from `allocate`. Refuses (false) a range outside Wild or with free pages in it.
  @discardableResult
  public static func free(_ address: UInt64, pages count: Int) -> Bool {
    guard let map = bitmap, count > 0, region.contains(address, UInt64(count) * pageSize),
          (address - region.base) % pageSize == 0 else { return false }
    let first = Int((address - region.base) / pageSize)
    for i in first..<(first + count) where !isUsed(map, i) { return false }
    for i in first..<(first + count) { setUsed(map, i, false) }
    freePages += count
    return true
  }

  @inline(__always)
  static func isUsed(_ map: UnsafeMutablePointer<UInt64>, _ page: Int) -> Bool {
    map[page >> 6] & (1 << UInt64(page & 63)) != 0
  }

  @inline(__always)
  static func setUsed(_ map: UnsafeMutablePointer<UInt64>, _ page: Int, _ used: Bool) {
    if used { map[page >> 6] |= 1 << UInt64(page & 63) } else { map[page >> 6] &= ~(1 << UInt64(page & 63)) }
  }
}
