// Rumkv's own console lines go to the board's console UART (a PL011), polled. The base comes from the
// board tree's stdout-path; until that is read, QEMU virt's UART.

import RumkvCore
import _Volatile

enum UART {
  static let fallbackBase: UInt = 0x0900_0000
  nonisolated(unsafe) static var base: UInt = fallbackBase

  /// Sends one byte, waiting while the transmit FIFO is full; "\n" goes out as "\r\n".
  static func put(_ byte: UInt8) {
    if byte == 10 { send(13) }
    send(byte)
  }

  /// Busy polls after which the transmitter counts as dead: output is dropped from then on, so a
  /// board tree that names something that is not a working UART cannot hang Rumkv.
  static let maxPolls = 1 << 20
  nonisolated(unsafe) static var dead = false

  static func send(_ byte: UInt8) {
    guard !dead else { return }
    let flags = VolatileMappedRegister<UInt32>(unsafeBitPattern: base + 0x18)
    var polls = 0
    while flags.load() & (1 << 5) != 0 {
      polls += 1
      if polls == maxPolls {
        dead = true
        return
      }
    }
    VolatileMappedRegister<UInt32>(unsafeBitPattern: base).store(UInt32(byte))
  }
}

/// The Console sink (a C function pointer, so no closure context is needed).
@_cdecl("rumkv_uart_put")
func uartPut(_ byte: UInt8) {
  UART.put(byte)
}
