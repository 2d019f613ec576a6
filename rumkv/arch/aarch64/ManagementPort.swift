// The management port (docs/decisions/A5-status-channel.md): the board's first virtio-console,
// driven by Rumkv alone. Stage 2 maps it into no cell, so a cell cannot write a record.

import FDT
import RumkvCore
import VirtioCore

enum ManagementPort {
  nonisolated(unsafe) static var port: ConsolePort? = nil

  /// Finds and starts the port in the board tree `fdt` with two pages of `pool`, and makes it the
  /// sink of Management. Assumes the MMU is off (device registers at their physical addresses).
  /// Without a console on the board Rumkv runs on and only its console says what happens.
  static func start(_ fdt: FDT, pool: inout PagePool) {
    var found: VirtioMMIO? = nil
    fdt.walk { node in
      found = ConsolePort.transport(fdt, node, map: { UInt($0) })
      return found == nil
    }
    guard let transport = found, let pages = pool.allocate(pages: ConsolePort.pages),
          let memory = pages.baseAddress else { return }
    port = ConsolePort.start(transport, memory: UInt64(UInt(bitPattern: memory)))
    if port != nil { Management.sink = managementWrite }
  }
}

@_cdecl("rumkv_management_write")
func managementWrite(_ bytes: UnsafeRawPointer, _ count: Int) {
  _ = ManagementPort.port?.write(UnsafeRawBufferPointer(start: bytes, count: count))
}
