// NS16550A UART output and polled input (QEMU virt's console). The base comes from the device tree;
// the fallback is only for the first lines before it is read.

import _Volatile
import RumpkKernel

struct UART16550 {
  static let fallbackBase: UInt = 0x1000_0000
  /// The register bytes the driver touches with reg-shift `shift` (data at 0, line status at 5).
  static func registerBytes(shift: UInt64) -> UInt64 { 6 << shift }
  var base: UInt
  var regShift: UInt = 0

  /// The line status register's address.
  var lineStatus: UInt { base &+ (5 &<< regShift) }

  /// Set once the transmit holding register stayed full for Serial.maxPolls polls: output is
  /// dropped from then on.
  nonisolated(unsafe) static var dead = false

  /// Sends one byte, waiting until the transmit holding register is empty; drops it (and every
  /// later one) once the register has stayed full for Serial.maxPolls polls. `lineStatus` is this
  /// UART's (computed once by a caller that sends many bytes).
  @inline(__always)
  func put(_ byte: UInt8, lineStatus: UInt) {
    if UART16550.dead { return }
    let lsr = VolatileMappedRegister<UInt8>(unsafeBitPattern: lineStatus)
    var polls = 0
    while lsr.load() & (1 << 5) == 0 {
      polls &+= 1
      if polls == Serial.maxPolls {
        UART16550.dead = true
        return
      }
    }
    VolatileMappedRegister<UInt8>(unsafeBitPattern: base).store(byte)
  }

  /// Sends one byte, waiting until the transmit holding register is empty.
  func put(_ byte: UInt8) { put(byte, lineStatus: lineStatus) }

  /// Returns a received byte, or nil when none is waiting.
  func get() -> UInt8? {
    let lsr = VolatileMappedRegister<UInt8>(unsafeBitPattern: base + (5 << regShift))
    if lsr.load() & 1 == 0 { return nil }
    return VolatileMappedRegister<UInt8>(unsafeBitPattern: base).load()
  }
}
