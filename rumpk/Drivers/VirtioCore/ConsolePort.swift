// A write-only virtio-console (device id 3, port 0 without MULTIPORT: queue 1 is its transmitq),
// driven synchronously: the status port of docs/decisions/A5-status-channel.md, shared by the kernel
// (direct mode) and Rumkv (node mode). Memory comes from the caller, so it runs without a heap.

import FDT

public struct ConsolePort {
  public let transport: VirtioMMIO
  var transmit: Virtqueue
  let buffer: UnsafeMutableRawPointer
  let bufferAddress: UInt64
  /// False once the device misbehaved or stopped answering: every later write is dropped.
  public private(set) var alive = true

  /// Pages of identity-mapped memory `start` takes: the queue's and one for the bytes in flight.
  public static let pages = 2
  /// How often `write` looks at the used ring before it gives the device up.
  static let pollLimit = 1_000_000

  /// Starts the console at `transport` in the `pages` pages at `memory` (identity-mapped RAM the
  /// caller gives up for good). Nil when the transport holds no modern console or refuses the
  /// handshake; the device is then marked FAILED.
  public static func start(_ transport: VirtioMMIO, memory: UInt64) -> ConsolePort? {
    guard let id = transport.identify(), id.version == 2, id.device == VirtioDeviceID.console.rawValue else {
      return nil
    }
    guard (try? transport.begin(wanted: 0)) != nil,
          let queue = Virtqueue.make(transport, index: 1, limit: 4, page: memory) else {
      transport.markFailed()
      return nil
    }
    transport.driverOK()
    let address = memory + UInt64(Virtqueue.pageBytes)
    return ConsolePort(transport: transport, transmit: queue,
                       buffer: UnsafeMutableRawPointer(bitPattern: UInt(address))!, bufferAddress: address)
  }

  /// Sends `bytes` (at most one page; the rest is cut) and waits, boundedly, until the device has
  /// taken them. False when they were not sent; after a fault or a device that never answers the
  /// port is dead and drops everything.
  public mutating func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard alive, let source = bytes.baseAddress, bytes.count > 0 else { return false }
    let n = min(bytes.count, Virtqueue.pageBytes)
    buffer.copyMemory(from: source, byteCount: n)
    guard transmit.submit(VirtioBuffer(bufferAddress, UInt32(n), deviceWrites: false), token: 1) else {
      alive = false
      return false
    }
    transmit.kick(transport)
    var done = false
    var polls = 0
    while !done && polls < ConsolePort.pollLimit {
      guard transmit.harvest({ _, _ in done = true; return true }) else { break }
      polls += 1
    }
    if !done {
      alive = false
      transport.reset()
      transport.markFailed()
    }
    return done
  }

  /// The transport of a modern virtio-console at `reg` (a "virtio,mmio" node's first reg entry),
  /// at the address `map` gives for its registers (an alias where the caller maps devices
  /// elsewhere; 0 outside the caller's device range). Reads only magic, version and device id.
  /// Nil for anything else, a reg that does not hold the registers included.
  public static func transport(reg: (address: UInt64, size: UInt64)?, map: (UInt64) -> UInt) -> VirtioMMIO? {
    guard let reg = try? BoardValues.device(reg, registers: VirtioMMIO.registerBytes, below: .max) else { return nil }
    // Every register must be reachable: `map` answers 0 outside the caller's device range.
    let base = map(reg.base)
    guard base != 0, map(reg.base + VirtioMMIO.registerBytes - 1) != 0 else { return nil }
    return transport(at: base)
  }

  /// The transport at `base` when it holds a modern virtio-console (reads magic, version, device id).
  public static func transport(at base: UInt) -> VirtioMMIO? {
    let transport = VirtioMMIO(base: base)
    guard let id = transport.identify(), id.version == 2, id.device == VirtioDeviceID.console.rawValue else {
      return nil
    }
    return transport
  }
}
