// The PLIC for one hart: the boot hart's S-mode context (Board.plicContext, from the device tree),
// every source disabled until a driver enables it, threshold 0. Sources have no routing beyond the
// enable bits of this context. Claim returns the highest-priority pending source (0: none) and
// holds it until complete; the interrupt entry also masks it (disable) until its driver is done.

import _Volatile

enum PLIC {
  static let priorityBase: UInt = 0x00_0000   // + 4 * source
  static let enableBase: UInt = 0x00_2000     // + 0x80 * context, one bit per source
  static let contextBase: UInt = 0x20_0000    // + 0x1000 * context: threshold, then claim/complete
  static let claimOffset: UInt = 4

  static func load(_ address: UInt) -> UInt32 { VolatileMappedRegister<UInt32>(unsafeBitPattern: address).load() }
  static func store(_ address: UInt, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: address).store(value)
  }

  static var context: UInt { Board.plic + contextBase + 0x1000 * UInt(Board.plicContext) }
  static var enables: UInt { Board.plic + enableBase + 0x80 * UInt(Board.plicContext) }

  /// Disables every source for this context and lets every priority through. False, having done
  /// nothing, when the tree names no PLIC context for the boot hart.
  static func initialize() -> Bool {
    guard Board.plic != 0 else { return false }
    var word: UInt32 = 0
    while word <= Board.plicSources / 32 {
      store(enables + 4 * UInt(word), 0)
      word += 1
    }
    store(context, 0)  // threshold
    return true
  }

  /// Enables source `irq` (1 ... riscv,ndev) for the boot hart's S-mode context at `priority` (> 0).
  static func enable(_ irq: UInt32, priority: UInt32) {
    guard Board.plic != 0, irq != 0, irq <= Board.plicSources else { return }
    store(Board.plic + priorityBase + 4 * UInt(irq), priority)
    let word = enables + 4 * UInt(irq / 32)
    store(word, load(word) | 1 << (irq % 32))
  }

  /// Masks source `irq` for this context (phase one of a device interrupt).
  static func disable(_ irq: UInt32) {
    let word = enables + 4 * UInt(irq / 32)
    store(word, load(word) & ~(1 << (irq % 32)))
  }

  /// Unmasks source `irq` again (its priority is still set); one pending while masked fires now.
  static func unmask(_ irq: UInt32) {
    guard Board.plic != 0, irq != 0, irq <= Board.plicSources else { return }
    let word = enables + 4 * UInt(irq / 32)
    store(word, load(word) | 1 << (irq % 32))
  }

  @inline(__always) static func claim() -> UInt32 { load(context + claimOffset) }
  @inline(__always) static func complete(_ irq: UInt32) { store(context + claimOffset, irq) }
}
