// The portable half of cell start-up, run by every HAL once its console works: carve memory, bring
// the kernel up, publish the SysTable, start the NPL as the first fiber and run the scheduler until
// the cell halts.

import RumpkABI
import RumpkPlatform

public struct CellIdentity {
  public var arch: StaticString
  public var privilege: StaticString     // "EL1", "S-mode"
  public var enteredAt: StaticString     // how the image was entered ("EL2", "EL1", "S-mode")
  public init(arch: StaticString, privilege: StaticString, enteredAt: StaticString) {
    self.arch = arch
    self.privilege = privilege
    self.enteredAt = enteredAt
  }
}

public enum CellBoot {
  /// The device tree the HAL booted with (0: unknown); read by the device drivers (K5).
  nonisolated(unsafe) public static var deviceTree: UInt64 = 0

  /// Installs the SysTable, prints the banner, runs the NPL as a Matter-tier fiber with every
  /// promise and returns its halt code (0 when every fiber ended without halting). Fibers the NPL
  /// spawns get `stackPages` pages (one, 4 KiB, on metal); its main fiber gets four times that.
  /// Assumes console and heap work and the SysTable page is mapped.
  /// A HAL that runs NPLs in user mode passes `userMode` and its trap stubs as `syscallEntries`
  /// (one address per syscall number); otherwise the entries are direct calls (DirectEntries).
  public static func run(_ id: CellIdentity, plan: CellMemoryPlan, seed: UnsafeRawBufferPointer,
                         npl: @convention(c) (UInt64) -> Void, stackPages: Int = 1,
                         syscallEntries: UnsafeBufferPointer<UInt64>? = nil, userMode: Bool = false) -> UInt64 {
    var raw: UInt64 = 0
    withUnsafeMutableBytes(of: &raw) { rumpk_platform_entropy($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 8) }
    Entropy.seed(word: raw)
    Entropy.seed(seed)

    let table = SysTable.fixed
    if let syscallEntries {
      SysTableSetup.install(at: table, entries: syscallEntries)
    } else {
      DirectEntries.addresses().withUnsafeBufferPointer { SysTableSetup.install(at: table, entries: $0) }
    }
    Console.put("rumpk: "); Console.put(id.arch); Console.put(" "); Console.put(id.privilege)
    Console.put(" (entered at "); Console.put(id.enteredAt); Console.put(")\n")
    Console.put("rumpk: SysTable at 0x"); Console.hex(UInt64(SysTableLayout.address))
    Console.put(" magic 0x"); Console.hex(UInt64(table.magic))
    Console.put(" size "); Console.dec(UInt64(table.size))
    Console.put(" abi "); Console.dec(UInt64(table.abi)); Console.put("\n")

    do throws(KernelInitError) {
      try Kernel.initialize(KernelConfiguration(
        bridgehead: plan.bridgehead, wild: plan.wild, maxFibers: 256, stackPages: stackPages,
        sharedReadOnly: plan.image, sharedReadWrite: plan.writableShared, executable: plan.text,
        userStacks: userMode, imageWindow: plan.imageWindow, partitionWindow: plan.partitionWindow))
    } catch .bridgeheadTooSmall {
      Console.put("rumpk: cannot start the kernel: the Bridgehead cannot hold its tables\n")
      return 70
    } catch {
      Console.put("rumpk: cannot start the kernel: the NPL windows do not fit the memory plan\n")
      return 70
    }
    // The status port (docs/decisions/A5-status-channel.md) before any NPL code runs, so every end
    // of the cell from here on is reported on it.
    if rumpk_status_port_open_if_linked() != 0 && StatusReport.sink != nil {
      StatusReport.boot(abi: UInt64(table.abi))
    }
    // K5 devices (docs/decisions/K5-device-channels.md): drivers linked into the image (RumpkVirtio)
    // probe the device tree and publish their channels before the first NPL fiber exists.
    _ = rumpk_devices_start_if_linked(deviceTree)
    if FiberSwitchBench.requested { FiberSwitchBench.run() }
    do throws(Errno) {
      _ = try Scheduler.spawn(entry: UInt64(UInt(bitPattern: unsafeBitCast(npl, to: UnsafeRawPointer.self))),
                              argument: 0, tier: .matter, promises: .all, stackPages: 4 * stackPages, user: true)
    } catch {
      Console.put("rumpk: cannot start the first fiber: error -"); Console.dec(UInt64(-error.rawValue)); Console.put("\n")
      StatusReport.stopped(.outOfMemory)
      return StatusReport.Stop.outOfMemory.rawValue
    }
    let code = Scheduler.run()
    StatusReport.halted(code: code)
    return code
  }

}
