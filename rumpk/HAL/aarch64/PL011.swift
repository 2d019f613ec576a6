// PL011 UART output and polled input. The base comes from the device tree's stdout-path; the fallback
// is QEMU virt's UART, used only until the tree is read.

import _Volatile

struct PL011 {
  static let fallbackBase: UInt = 0x0900_0000
  var base: UInt

  /// Sends one byte, waiting while the transmit FIFO is full.
  func put(_ byte: UInt8) {
    let flags = VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base) + 0x18)
    while flags.load() & (1 << 5) != 0 {}
    VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base)).store(UInt32(byte))
  }

  /// Returns a received byte, or nil when the receive FIFO is empty.
  func get() -> UInt8? {
    let flags = VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base) + 0x18)
    if flags.load() & (1 << 4) != 0 { return nil }
    return UInt8(truncatingIfNeeded: VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base)).load())
  }
}
