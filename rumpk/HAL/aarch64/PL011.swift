// PL011 UART output and polled input. The base comes from the device tree's stdout-path; the fallback
// is QEMU virt's UART, used only until the tree is read.

import _Volatile
import RumpkKernel

struct PL011 {
  static let fallbackBase: UInt = 0x0900_0000
  /// The register bytes the driver touches (data at 0, flags at 0x18): what a reg must cover.
  static let registerBytes: UInt64 = 0x1C
  var base: UInt

  /// Set once the transmit FIFO stayed full for Serial.maxPolls polls: output is dropped from then on.
  nonisolated(unsafe) static var dead = false

  /// Sends one byte, waiting while the transmit FIFO is full; drops it (and every later one) once
  /// the FIFO has stayed full for Serial.maxPolls polls (a UART that does not drain).
  func put(_ byte: UInt8) {
    if PL011.dead { return }
    let flags = VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base) + 0x18)
    var polls = 0
    while flags.load() & (1 << 5) != 0 {
      polls &+= 1
      if polls == Serial.maxPolls {
        PL011.dead = true
        return
      }
    }
    VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base)).store(UInt32(byte))
  }

  /// Returns a received byte, or nil when the receive FIFO is empty.
  func get() -> UInt8? {
    let flags = VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base) + 0x18)
    if flags.load() & (1 << 4) != 0 { return nil }
    return UInt8(truncatingIfNeeded: VolatileMappedRegister<UInt32>(unsafeBitPattern: MMU.device(base)).load())
  }
}
