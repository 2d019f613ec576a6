// Device discovery and the device fiber. CellBoot calls rumpk_devices_start (rumpk_devices.h) once the
// kernel is up and before the first NPL fiber: every "virtio,mmio" node of the device tree is probed
// (magic, version 2, device id; id 0 is an empty slot), virtio-rng seeds the CSPRNG, block and net
// devices get their channels ("/dev/blk0", "/dev/net0") and one kernel fiber that polls them. No
// device address is built in: a tree without virtio nodes costs a walk over the tree and nothing else.
//
// Interrupts: each driver's `poll()` does all the work and is cheap when idle. The fiber polls, yields
// when there was work and sleeps `idleNanoseconds` when there was none; once the HAL delivers virtio
// interrupts as events, the fiber can wait on the event source instead of sleeping (phase two of the
// interrupt is exactly one `poll()`).

import FDT
import RumpkABI
import RumpkKernel
import RumpkPlatform

public enum Devices {
  public static let idleNanoseconds: UInt64 = 200_000
  nonisolated(unsafe) static var block: BlockDriver? = nil
  nonisolated(unsafe) static var net: NetDriver? = nil
  nonisolated(unsafe) static var console: ConsoleDriver? = nil
  nonisolated(unsafe) public private(set) static var entropySeeded = false

  /// Probes the tree at `deviceTree` and starts what it finds. Assumes the kernel is initialised
  /// and no fiber runs yet.
  public static func start(deviceTree: UInt64) {
    guard deviceTree != 0, let tree = UnsafeRawPointer(bitPattern: UInt(deviceTree)),
          let fdt = try? FDT.at(tree, maxSize: 1 << 20) else { return }
    // One walk: each node's reg is decoded with the cell counts the walk carries (reg(node:index:)
    // walks the tree again to find the parent: 32 slots on QEMU virt made that ~100 walks).
    fdt.walk { n in
      if fdt.isCompatible(n, "virtio,mmio"), let reg = fdt.reg(n, index: 0) { probe(VirtioMMIO(base: UInt(reg.address))) }
      return true
    }
    if block != nil || net != nil {
      let entry: @convention(c) (UInt64) -> Void = deviceFiber
      do throws(Errno) {
        _ = try Scheduler.spawn(entry: UInt64(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self))),
                                argument: 0, tier: .matter, promises: .all, stackPages: 2)
      } catch {
        Log.put("virtio: cannot start the device fiber\n")
      }
    }
  }

  static func probe(_ mmio: VirtioMMIO) {
    guard let id = mmio.identify(), id.device != 0 else { return }
    guard id.version == 2 else {
      Log.put("virtio: legacy (version 1) device at ")
      Log.hex(UInt64(mmio.base))
      Log.put(" skipped; QEMU needs -global virtio-mmio.force-legacy=false\n")
      return
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
    case .net where net == nil:
      net = NetDriver(mmio)
      announce("net0", mmio, net != nil)
    case .console where console == nil:
      console = ConsoleDriver(mmio)
      announce("console0", mmio, console != nil)
      _ = console?.write("rumpk: virtio-console ready\n")
    default:
      Log.put("virtio: device id ")
      Log.dec(UInt64(id.device))
      Log.put(" at ")
      Log.hex(UInt64(mmio.base))
      Log.put(" not used\n")
    }
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

/// The device fiber: polls until it is the last fiber of the cell.
let deviceFiber: @convention(c) (UInt64) -> Void = { _ in
  while Fibers.live > 1 {
    if Devices.poll() {
      Scheduler.yieldCurrent()
    } else {
      Scheduler.sleepCurrent(until: rumpk_platform_time_ns() &+ Devices.idleNanoseconds)
    }
  }
}

@_cdecl("rumpk_devices_start")
public func rumpkDevicesStart(_ deviceTree: UInt64) {
  Devices.start(deviceTree: deviceTree)
}
