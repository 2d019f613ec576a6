// The management port (docs/decisions/A5-status-channel.md): the board's last virtio-console,
// driven by Rumkv alone. Stage 2 maps it into no cell, so a cell cannot write a record.

import FDT
import RumkvCore
import VirtioCore

enum ManagementPort {
  /// In a pool page (a static of the ~1 KiB port would sit in the image's data).
  nonisolated(unsafe) static var port: UnsafeMutablePointer<ConsolePort>? = nil

  /// Finds and starts the port in the board tree `fdt` with three pages of `pool`, and makes it the
  /// sink of Management. Assumes the MMU is off (device registers at their physical addresses).
  /// Without a console on the board Rumkv runs on and only its console says what happens.
  static func start(_ fdt: FDT, pool: inout PagePool) {
    var found: VirtioMMIO? = nil
    // A walk, not forEachCompatible: a walk node carries its parent's cell counts, while reg() of a
    // plain node searches the tree for its parent (32 transports made that 0.7 M instructions).
    fdt.walk { node in
      // Checked as every device Rumkv touches with the MMU off (BoardDescription.deviceLimit, K10).
      if fdt.isCompatible(node, "virtio,mmio"),
         let reg = try? BoardValues.device(fdt.reg(node, index: 0), registers: VirtioMMIO.registerBytes,
                                           below: BoardDescription.deviceLimit) {
        found = ConsolePort.transport(at: UInt(reg.base)) ?? found
      }
      return true  // the last console in tree order, as the kernel's status port
    }
    guard let transport = found, let pages = pool.allocate(pages: ConsolePort.pages + 1),
          let memory = pages.baseAddress,
          let started = ConsolePort.start(transport, memory: UInt64(UInt(bitPattern: memory))) else { return }
    let state = (memory + ConsolePort.pages * Virtqueue.pageBytes).bindMemory(to: ConsolePort.self, capacity: 1)
    state.initialize(to: started)
    port = state
    Management.sink = managementWrite
  }
}

@_cdecl("rumkv_management_write")
func managementWrite(_ bytes: UnsafeRawPointer, _ count: Int) {
  _ = ManagementPort.port?.pointee.write(UnsafeRawBufferPointer(start: bytes, count: count))
}
