// NS16550A UART output and polled input (QEMU virt's console). The base comes from the device tree;
// the fallback is only for the first lines before it is read.

import _Volatile

struct UART16550 {
  static let fallbackBase: UInt = 0x1000_0000
  var base: UInt
  var regShift: UInt = 0

  /// Sends one byte, waiting until the transmit holding register is empty.
  func put(_ byte: UInt8) {
    let lsr = VolatileMappedRegister<UInt8>(unsafeBitPattern: base + (5 << regShift))
    while lsr.load() & (1 << 5) == 0 {}
    VolatileMappedRegister<UInt8>(unsafeBitPattern: base).store(byte)
  }

  /// Returns a received byte, or nil when none is waiting.
  func get() -> UInt8? {
    let lsr = VolatileMappedRegister<UInt8>(unsafeBitPattern: base + (5 << regShift))
    if lsr.load() & 1 == 0 { return nil }
    return VolatileMappedRegister<UInt8>(unsafeBitPattern: base).load()
  }
}
