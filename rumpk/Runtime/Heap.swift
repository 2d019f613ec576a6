// The heaps behind posix_memalign/free for the embedded stdlib (classes, arrays, strings). Each heap
// is an arena: a first-fit free list over one region, freed blocks coalesced with their neighbours in
// address order, its state (the Arena header) at the start of the region itself, so the runtime has
// no globals of its own. Single core, not reentrant: never called from interrupt context.
//
// There are two arenas (docs/decisions/K6-el0-npls.md): the NPL heap (the plan's heap region,
// EL0 / U-mode writable) and the kernel heap (`.kheap` in the image, EL1 / S-mode only). The code
// is shared by both sides, so every call picks its arena by who is running (`callerIsUser`). Both
// arena addresses are link-time constants, so no data an NPL can write redirects the kernel's
// allocations. Other targets (none today) would have the NPL arena only.

import RumpkArch
import RumpkPlatform

public struct HeapBlock {
  var size: Int          // bytes including this header, multiple of 16
  var next: UnsafeMutablePointer<HeapBlock>?  // next free block in address order (free blocks only)
}

/// An arena's state, at the first 32 bytes of its region.
public struct Arena {
  var freeList: UnsafeMutablePointer<HeapBlock>?
  var regionStart: UInt
  var regionEnd: UInt
  var reserved: UInt
}

public enum Heap {
  static let headerSize = 16

  /// The NPL heap's arena (0: none yet). On aarch64 it is the start of the heap region, which
  /// follows the image (`__heap_start`): a link-time constant, so no global can redirect it.
  @inline(__always)
  static var userArena: UnsafeMutablePointer<Arena>? { UnsafeMutablePointer(bitPattern: UInt(rumpk_heap_start())) }

  #if arch(arm64) || arch(riscv64)
  @inline(__always)
  static var kernelArena: UnsafeMutablePointer<Arena>? { UnsafeMutablePointer(bitPattern: UInt(rumpk_kheap_start())) }

  /// The arena of the running code: the NPL arena for NPL code at EL0, else the kernel's.
  @inline(__always)
  static var current: UnsafeMutablePointer<Arena>? { callerIsUser ? userArena : kernelArena }

  #if arch(arm64)
  /// Whether the running code is NPL code at EL0: TPIDRRO_EL0 (EL0 can read it, only EL1 can
  /// write it) is 0 while the kernel runs (boot.S; every exception entry clears it, vectors.S) and
  /// 1 from the last step before an eret to EL0 (MMU.enterUser).
  @inline(__always)
  public static var callerIsUser: Bool { read_tpidrro_el0() != 0 }
  #else
  /// Whether the running code is NPL code in U-mode: the mode word (link.ld) reads 1 only through
  /// the U-mode view, where its page is backed by another page, U read-only (MMU.swift); 0 in the
  /// kernel view and with the MMU off (boot.S). S-mode runs Swift code only on the kernel view and
  /// U-mode only on the U-mode view, so no register or memory U-mode can write changes the answer,
  /// and the trap path keeps no state for it (riscv64 has no register U-mode can read but not
  /// write, like TPIDRRO_EL0; tp would depend on every trap entry clearing it).
  @inline(__always)
  public static var callerIsUser: Bool { rumpk_read_mode_word() != 0 }
  #endif
  #else
  @inline(__always)
  static var current: UnsafeMutablePointer<Arena>? { userArena }
  public static var callerIsUser: Bool { false }
  #endif

  /// Formats [start, end) as the arena whose header is at `start` (16-aligned). Called once per
  /// arena before any allocation from it. The memory is written at `writeAt` (the same range as
  /// the kernel reaches it, when the arena's users see it elsewhere: the NPL heap in window A);
  /// the pointers stored are in [start, end).
  static func format(start: UInt, end: UInt, writeAt: UInt? = nil) {
    let s = (start + 15) & ~15
    let e = end & ~15
    guard e > s + 32 + UInt(headerSize) * 2 else { return }
    let delta = (writeAt ?? start) &- start
    let arena = UnsafeMutablePointer<Arena>(bitPattern: s &+ delta)!
    let first = s + 32
    UnsafeMutablePointer<HeapBlock>(bitPattern: first &+ delta)!.pointee = HeapBlock(size: Int(e - first), next: nil)
    arena.pointee = Arena(freeList: UnsafeMutablePointer(bitPattern: first), regionStart: first, regionEnd: e, reserved: 0)
  }

  /// Hands the NPL heap [start, end) (start must be `__heap_start`) and formats the kernel heap.
  /// `writeAt`: where the kernel reaches the NPL heap, when not at `start` (K9). Assumes both are
  /// unused RAM; called once before any allocation.
  public static func initialize(start: UInt, end: UInt, writeAt: UInt? = nil) {
    #if arch(arm64) || arch(riscv64)
    format(start: UInt(rumpk_kheap_start()), end: UInt(rumpk_kheap_end()))
    #endif
    format(start: start, end: end, writeAt: writeAt)
  }

  /// Returns `size` bytes aligned to `alignment` (a power of two), or nil when no free block fits.
  static func allocate(_ arena: UnsafeMutablePointer<Arena>, size: Int, alignment: Int) -> UnsafeMutableRawPointer? {
    guard size >= 0, size <= Int(arena.pointee.regionEnd &- arena.pointee.regionStart) else { return nil }
    let align = max(alignment, 16)
    // Over-allocate so the payload can be aligned; the word before the payload records the block.
    let need = ((size + headerSize + align + 15) & ~15)
    var prev: UnsafeMutablePointer<HeapBlock>? = nil
    var cur = arena.pointee.freeList
    while let b = cur {
      if b.pointee.size >= need {
        let blockSize: Int
        if b.pointee.size - need >= 64 {
          let rest = UnsafeMutablePointer<HeapBlock>(bitPattern: UInt(bitPattern: b) + UInt(need))!
          rest.pointee = HeapBlock(size: b.pointee.size - need, next: b.pointee.next)
          link(arena, prev, rest)
          blockSize = need
        } else {
          link(arena, prev, b.pointee.next)
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

  /// Returns a block from `allocate` to the free list, merging with adjacent free blocks. A pointer
  /// outside the arena is ignored.
  static func free(_ arena: UnsafeMutablePointer<Arena>, _ payload: UnsafeMutableRawPointer) {
    let start = arena.pointee.regionStart, end = arena.pointee.regionEnd
    let p = UInt(bitPattern: payload)
    guard p >= start + 16, p < end else { return }
    let raw = UnsafeMutablePointer<UInt>(bitPattern: p - 8)!.pointee
    guard raw >= start, raw < end else { return }
    let block = UnsafeMutablePointer<HeapBlock>(bitPattern: raw)!
    var prev: UnsafeMutablePointer<HeapBlock>? = nil
    var cur = arena.pointee.freeList
    while let c = cur, UInt(bitPattern: c) < raw {
      prev = c
      cur = c.pointee.next
    }
    block.pointee.next = cur
    link(arena, prev, block)
    if let c = cur, raw + UInt(block.pointee.size) == UInt(bitPattern: c) {
      block.pointee.size += c.pointee.size
      block.pointee.next = c.pointee.next
    }
    if let p = prev, UInt(bitPattern: p) + UInt(p.pointee.size) == raw {
      p.pointee.size += block.pointee.size
      p.pointee.next = block.pointee.next
    }
  }

  @inline(__always)
  private static func link(_ arena: UnsafeMutablePointer<Arena>, _ prev: UnsafeMutablePointer<HeapBlock>?, _ next: UnsafeMutablePointer<HeapBlock>?) {
    if let p = prev { p.pointee.next = next } else { arena.pointee.freeList = next }
  }
}

@_cdecl("rumpk_heap_init")
public func rumpkHeapInit(_ start: UInt, _ end: UInt) {
  Heap.initialize(start: start, end: end)
}

@_cdecl("posix_memalign")
public func posix_memalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
  guard alignment > 0, alignment & (alignment - 1) == 0 else { return 22 }
  guard let arena = Heap.current, let p = Heap.allocate(arena, size: size, alignment: alignment) else { return 12 }
  out.pointee = p
  return 0
}

/// Called by free() in free.c: Swift may not define the symbol `free` itself.
@_cdecl("rumpk_heap_free")
public func rumpkHeapFree(_ p: UnsafeMutableRawPointer?) {
  if let p, let arena = Heap.current { Heap.free(arena, p) }
}
