// The heap behind posix_memalign/free for the embedded stdlib (classes, arrays, strings in kernel
// code). A first-fit free list over one region handed over at boot; freed blocks are coalesced with
// their neighbours in address order. Single core, not reentrant: never called from interrupt context.

import RumpkPlatform

public struct HeapBlock {
  var size: Int          // bytes including this header, multiple of 16
  var next: UnsafeMutablePointer<HeapBlock>?  // next free block in address order (free blocks only)
}

public enum Heap {
  static let headerSize = 16
  nonisolated(unsafe) static var freeList: UnsafeMutablePointer<HeapBlock>? = nil
  nonisolated(unsafe) static var regionStart: UInt = 0
  nonisolated(unsafe) static var regionEnd: UInt = 0

  /// Hands the heap [start, end). Assumes the region is unused RAM; called once before any allocation.
  public static func initialize(start: UInt, end: UInt) {
    let s = (start + 15) & ~15
    let e = end & ~15
    guard e > s + UInt(headerSize) * 2 else { return }
    regionStart = s
    regionEnd = e
    let block = UnsafeMutablePointer<HeapBlock>(bitPattern: s)!
    block.pointee = HeapBlock(size: Int(e - s), next: nil)
    freeList = block
  }

  /// Returns `size` bytes aligned to `alignment` (a power of two), or nil when no free block fits.
  static func allocate(size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
    guard size >= 0, size <= Int(regionEnd &- regionStart) else { return nil }
    let align = max(alignment, 16)
    // Over-allocate so the payload can be aligned; the word before the payload records the block.
    let need = ((size + headerSize + align + 15) & ~15)
    var prev: UnsafeMutablePointer<HeapBlock>? = nil
    var cur = freeList
    while let b = cur {
      if b.pointee.size >= need {
        let blockSize: Int
        if b.pointee.size - need >= 64 {
          let rest = UnsafeMutablePointer<HeapBlock>(bitPattern: UInt(bitPattern: b) + UInt(need))!
          rest.pointee = HeapBlock(size: b.pointee.size - need, next: b.pointee.next)
          link(prev, rest)
          blockSize = need
        } else {
          link(prev, b.pointee.next)
          blockSize = b.pointee.size
        }
        let raw = UInt(bitPattern: b)
        let payload = (raw + UInt(headerSize) + UInt(align) - 1) & ~(UInt(align) - 1)
        UnsafeMutablePointer<UInt>(bitPattern: payload - 8)!.pointee = raw
        b.pointee.size = blockSize
        return UnsafeMutableRawPointer(bitPattern: payload)
      }
      prev = b
      cur = b.pointee.next
    }
    return nil
  }

  /// Returns a block from `allocate` to the free list, merging with adjacent free blocks.
  static func free(_ payload: UnsafeMutableRawPointer) {
    let raw = UnsafeMutablePointer<UInt>(bitPattern: UInt(bitPattern: payload) - 8)!.pointee
    guard raw >= regionStart, raw < regionEnd else { return }
    let block = UnsafeMutablePointer<HeapBlock>(bitPattern: raw)!
    var prev: UnsafeMutablePointer<HeapBlock>? = nil
    var cur = freeList
    while let c = cur, UInt(bitPattern: c) < raw {
      prev = c
      cur = c.pointee.next
    }
    block.pointee.next = cur
    link(prev, block)
    if let c = cur, raw + UInt(block.pointee.size) == UInt(bitPattern: c) {
      block.pointee.size += c.pointee.size
      block.pointee.next = c.pointee.next
    }
    if let p = prev, UInt(bitPattern: p) + UInt(p.pointee.size) == raw {
      p.pointee.size += block.pointee.size
      p.pointee.next = block.pointee.next
    }
  }

  /// Bytes currently on the free list.
  static var freeBytes: Int {
    var total = 0
    var cur = freeList
    while let b = cur { total += b.pointee.size; cur = b.pointee.next }
    return total
  }

  @inline(__always)
  private static func link(_ prev: UnsafeMutablePointer<HeapBlock>?, _ next: UnsafeMutablePointer<HeapBlock>?) {
    if let p = prev { p.pointee.next = next } else { freeList = next }
  }
}

@_cdecl("rumpk_heap_init")
public func rumpkHeapInit(_ start: UInt, _ end: UInt) {
  Heap.initialize(start: start, end: end)
}

@_cdecl("posix_memalign")
public func posix_memalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
  guard alignment > 0, alignment & (alignment - 1) == 0 else { return 22 }
  guard let p = Heap.allocate(size: size, alignment: alignment) else { return 12 }
  out.pointee = p
  return 0
}

/// Called by free() in free.c: Swift may not define the symbol `free` itself.
@_cdecl("rumpk_heap_free")
public func rumpkHeapFree(_ p: UnsafeMutableRawPointer?) {
  if let p { Heap.free(p) }
}
