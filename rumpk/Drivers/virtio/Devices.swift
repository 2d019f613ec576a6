// Device discovery and the device fiber. CellBoot calls rumpk_devices_start (rumpk_devices.h) once the
// kernel is up and before the first NPL fiber: every "virtio,mmio" node of the device tree is probed
// (magic, version 2, device id; id 0 is an empty slot), virtio-rng seeds the CSPRNG, block and net
// devices get their channels ("/dev/blk0", "/dev/net0") and one kernel fiber that polls them. No
// device address is built in: a tree without virtio nodes costs a walk over the tree and nothing else.
//
// Interrupts (docs/decisions/K8-device-interrupts.md): each driver's `poll()` does all the work and is
// cheap when idle. Block and net attach their node's interrupt to one event source; the device
// fiber polls, yields while there is work, and otherwise unmasks the interrupts and waits on that
// source, so an idle cell sleeps until a device or a deadline wakes it. Where the platform cannot
// deliver a device's interrupt (a cell without an interrupt controller of its own) the fiber falls
// back to sleeping `idleNanoseconds` between polls. The device fiber is a daemon: the cell ends when
// its NPL fibers have.

import FDT
import RumpkABI
import RumpkKernel
import RumpkPlatform
import VirtioCore

public enum Devices {
  public static let idleNanoseconds: UInt64 = 200_000
  nonisolated(unsafe) static var block: BlockDriver? = nil
  nonisolated(unsafe) static var net: NetDriver? = nil
  nonisolated(unsafe) public private(set) static var entropySeeded = false
  /// The event source every device interrupt wakes the device fiber with.
  public static let eventSource: UInt32 = 63
  /// Interrupt handles to unmask after each round (rumpk_platform_irq_attach); 0 = none.
  nonisolated(unsafe) static var interrupts = InlineArray<4, UInt32>(repeating: 0)
  /// False once a device runs without an interrupt: the fiber then polls on a timer.
  nonisolated(unsafe) static var interruptDriven = true

  /// Probes the tree at `deviceTree` and starts what it finds. Assumes the kernel is initialised
  /// and no fiber runs yet.
  public static func start(deviceTree: UInt64) {
    guard deviceTree != 0, let tree = UnsafeRawPointer(bitPattern: UInt(deviceTree)),
          let fdt = try? FDT.at(tree, maxSize: BoardValues.treeSizeLimit) else { return }
    // One walk: each node's reg is decoded with the cell counts the walk carries (reg(node:index:)
    // walks the tree again to find the parent: 32 slots on QEMU virt made that ~100 walks).
    fdt.walk { n in
      if fdt.isCompatible(n, "virtio,mmio"), let base = mmio(fdt.reg(n, index: 0), n.name),
         probe(VirtioMMIO(base: base)) {
        attachInterrupt(fdt.property(n, "interrupts"))
      }
      return true
    }
    if block != nil || net != nil {
      // NPLs post requests on the channel rings and yield for the answer: the yield wakes the fiber.
      if interruptDriven { Events.yieldDoorbell = eventSource }
      let entry: @convention(c) (UInt64) -> Void = deviceFiber
      do throws(Errno) {
        _ = try Scheduler.spawn(entry: UInt64(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self))),
                                argument: 0, tier: .matter, promises: .all, stackPages: 2, daemon: true)
      } catch {
        Log.put("virtio: cannot start the device fiber\n")
      }
    }
  }

  /// Where the kernel reaches the virtio-mmio registers `reg` names (node `name`): nil, with a line
  /// saying why, unless reg covers the registers (VirtioMMIO.registerBytes) without wrapping and
  /// the platform maps all of them (rumpk_platform_mmio answers 0 outside its device range).
  static func mmio(_ reg: (address: UInt64, size: UInt64)?, _ name: UnsafeRawBufferPointer) -> UInt? {
    do throws(BoardValueProblem) {
      let r = try BoardValues.device(reg, registers: VirtioMMIO.registerBytes, below: UInt64.max)
      let base = rumpk_platform_mmio(r.base)
      guard base != 0, rumpk_platform_mmio(r.base + VirtioMMIO.registerBytes - 1) != 0 else { throw .outsideDevices }
      return base
    } catch {
      Log.put("virtio: ")
      Log.put(bytes: name)
      Log.put(" reg: ")
      Log.put(error.reason)
      Log.put("; slot skipped\n")
      return nil
    }
  }

  /// Probes one slot; true when it started a driver the device fiber polls (block, net).
  static func probe(_ mmio: VirtioMMIO) -> Bool {
    guard let id = mmio.identify(), id.device != 0 else { return false }
    guard id.version == 2 else {
      Log.put("virtio: legacy (version 1) device at ")
      Log.hex(UInt64(mmio.base))
      Log.put(" skipped; QEMU needs -global virtio-mmio.force-legacy=false\n")
      return false
    }
    switch VirtioDeviceID(rawValue: id.device) {
    case .entropy:
      if !entropySeeded { entropySeeded = EntropyDevice.seedKernel(mmio) }
    case .block where block == nil:
      block = BlockDriver(mmio)
      announce("blk0", mmio, block != nil)
      if let b = block {
        Log.put("virtio: blk0 has ")
        Log.dec(b.capacity)
        Log.put(" sectors, channel /dev/blk0\n")
      }
      return block != nil
    case .net where net == nil:
      net = NetDriver(mmio)
      announce("net0", mmio, net != nil)
      return net != nil
    case .console:
      // The first console is the status port (rumpk/Drivers/StatusPort), the kernel's own; no
      // NPL channel leads to a console.
      break
    default:
      Log.put("virtio: device id ")
      Log.dec(UInt64(id.device))
      Log.put(" at ")
      Log.hex(UInt64(mmio.base))
      Log.put(" not used\n")
    }
    return false
  }

  /// Asks the platform to deliver a polled device's interrupt (`interrupts` of its node) as
  /// `eventSource`. Without one, the whole fiber falls back to timed polling.
  static func attachInterrupt(_ specifier: UnsafeRawBufferPointer?) {
    var handle: UInt32 = 0
    if let specifier, let cells = specifier.baseAddress {
      handle = rumpk_platform_irq_attach(cells.assumingMemoryBound(to: UInt8.self), specifier.count, eventSource)
    }
    for i in 0..<interrupts.count where interrupts[i] == 0 && handle != 0 {
      interrupts[i] = handle
      return
    }
    interruptDriven = false
  }

  /// Phase two is done: let every attached device interrupt through again.
  static func unmaskInterrupts() {
    for i in 0..<interrupts.count where interrupts[i] != 0 { rumpk_platform_irq_unmask(interrupts[i]) }
  }

  static func announce(_ name: StaticString, _ mmio: VirtioMMIO, _ ok: Bool) {
    Log.put("virtio: ")
    Log.put(name)
    Log.put(ok ? " ready at " : " failed to start at ")
    Log.hex(UInt64(mmio.base))
    Log.put("\n")
  }

  static func reportFault(_ name: StaticString, _ mmio: VirtioMMIO, _ fault: VirtqueueFault?) {
    Log.put("virtio: ")
    Log.put(name)
    Log.put(" at ")
    Log.hex(UInt64(mmio.base))
    switch fault {
    case .usedIndexJump: Log.put(" misbehaved: used index jumped past the queue size")
    case .idOutOfRange: Log.put(" misbehaved: used id out of range")
    case .idNotInFlight: Log.put(" misbehaved: used id not in flight")
    case .lengthTooLarge: Log.put(" misbehaved: used length larger than the buffer")
    case nil: Log.put(" misbehaved")
    }
    Log.put("; device disabled\n")
  }

  /// One round over every device; true when any had work.
  public static func poll() -> Bool {
    var work = false
    if let b = block, b.poll() { work = true }
    if let n = net, n.poll() { work = true }
    return work
  }
}

/// The device fiber (a daemon): polls while there is work, then waits for a device interrupt (or,
/// without interrupts, a short sleep). Unmasking before the final poll means an interrupt raised
/// after that poll is pending, not lost: it wakes the wait (or is latched for it).
let deviceFiber: @convention(c) (UInt64) -> Void = { _ in
  while true {
    if Devices.poll() {
      Scheduler.yieldCurrent()
    } else if Devices.interruptDriven {
      Devices.unmaskInterrupts()
      if !Devices.poll() { _ = Scheduler.waitCurrent(source: Devices.eventSource) }
    } else {
      Scheduler.sleepCurrent(until: rumpk_platform_time_ns() &+ Devices.idleNanoseconds)
    }
  }
}

@_cdecl("rumpk_devices_start")
public func rumpkDevicesStart(_ deviceTree: UInt64) {
  Devices.start(deviceTree: deviceTree)
}
