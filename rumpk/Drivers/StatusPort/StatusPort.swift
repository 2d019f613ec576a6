// The kernel's status port (docs/decisions/A5-status-channel.md): the last virtio-console of the
// device tree becomes StatusReport's sink. Linked into every metal image (not lazily like the other
// drivers), so an image without device drivers still reports how it ended. Kernel-owned: no NPL
// channel leads to it, and the console driver of RumpkVirtio leaves console devices alone.

import RumpkKernel
import RumpkPlatform
import VirtioCore

enum StatusPort {
  /// On the kernel heap once found (a static would take its ~1 KiB in every image's data).
  nonisolated(unsafe) static var port: UnsafeMutablePointer<ConsolePort>? = nil
}

/// Assumes the kernel is initialised (Wild works), the HAL filled VirtioTransports, and no NPL fiber
/// has run. Takes two Wild pages when it finds a console; leaves StatusReport.sink nil when there is
/// none or it does not start.
@_cdecl("rumpk_status_port_open")
public func rumpkStatusPortOpen() {
  guard StatusPort.port == nil else { return }
  // The transports the HAL's pass over the tree found (VirtioTransports): no second walk at boot.
  // The port is the last console in tree order (rumpkctl puts it on the last transport), so the
  // search runs backwards: one probe instead of 32 on QEMU virt.
  var found: VirtioMMIO? = nil
  let transports = VirtioTransports.board
  for i in (0..<transports.count).reversed() where found == nil {
    found = ConsolePort.transport(reg: transports[i], map: { UInt(rumpk_platform_mmio($0)) })
  }
  guard let transport = found, let memory = WildAllocator.allocate(pages: ConsolePort.pages) else { return }
  guard let port = ConsolePort.start(transport, memory: memory) else {
    _ = WildAllocator.free(memory, pages: ConsolePort.pages)
    Console.put("rumpk: the status port at 0x"); Console.hex(UInt64(transport.base)); Console.put(" did not start\n")
    return
  }
  let state = UnsafeMutablePointer<ConsolePort>.allocate(capacity: 1)
  state.initialize(to: port)
  StatusPort.port = state
  StatusReport.sink = statusPortWrite
}

/// StatusReport's sink: one whole line per call.
@_cdecl("rumpk_status_port_write")
func statusPortWrite(_ bytes: UnsafeRawPointer, _ count: Int) {
  _ = StatusPort.port?.pointee.write(UnsafeRawBufferPointer(start: bytes, count: count))
}
