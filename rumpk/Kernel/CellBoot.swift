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

/// Where everything of a cell lives in its RAM window, from the image's link symbols up.
public struct CellMemoryPlan {
  public var text: Region          // fiber entry points must lie here
  public var image: Region         // readable by every NPL (text, rodata, data, bss)
  public var heap: Region          // kernel and NPL heap (posix_memalign)
  public var bridgehead: Region
  public var wild: Region
  public var writableShared: Region  // image data + heap
  /// Where NPL code sees its image and Wild (K9-npl-windows.md); `.none`: at the kernel's addresses.
  /// With windows, `text` is in window A and `image`/`writableShared` are kernel addresses.
  public var imageWindow = UserWindow.none
  public var partitionWindow = UserWindow.none

  /// Moves the NPL side into the windows (K9): `text` becomes the NPL text in window A (what spawn
  /// may enter); `image` the NPL text and rodata and `writableShared` its data, bss and heap, both at
  /// their kernel (load) addresses, which the syscall layer checks translated pointers against.
  /// `textStart`, `textEnd`, `rodataEnd` and `dataStart` are window-A addresses from the link script.
  public mutating func placeNPL(in window: UserWindow, partitions: UserWindow, textStart: UInt64, textEnd: UInt64,
                                rodataEnd: UInt64, dataStart: UInt64) {
    text = Region(base: textStart, size: textEnd - textStart)
    image = Region(base: window.kernel, size: rodataEnd - window.user)
    let data = window.kernel + (dataStart - window.user)
    writableShared = Region(base: data, size: heap.end - data)
    imageWindow = window
    partitionWindow = partitions
  }

  public init(text: Region, image: Region, heap: Region, bridgehead: Region, wild: Region, writableShared: Region) {
    self.text = text
    self.image = image
    self.heap = heap
    self.bridgehead = bridgehead
    self.wild = wild
    self.writableShared = writableShared
  }

  public static let heapBytes: UInt64 = 8 << 20
  public static let bridgeheadBytes: UInt64 = 2 << 20
  public static let wildBytes: UInt64 = 32 << 20

  /// Lays out heap, Bridgehead and Wild after the image, clamped to the window's end and kept below
  /// the SysTable page when it sits above the image. Assumes imageStart < textEnd <= dataStart <= heapStart.
  public static func make(imageStart: UInt64, textEnd: UInt64, dataStart: UInt64, heapStart: UInt64, ramEnd: UInt64) -> CellMemoryPlan {
    var limit = ramEnd
    let table = UInt64(SysTableLayout.address)
    if table > heapStart && table < limit { limit = table }
    func take(_ from: UInt64, _ bytes: UInt64) -> Region {
      let start = min(from, limit)
      return Region(base: start, size: min(bytes, limit - start))
    }
    let heap = take(heapStart, heapBytes)
    let bridgehead = take(heap.end, bridgeheadBytes)
    let wild = take(bridgehead.end, wildBytes)
    return CellMemoryPlan(
      text: Region(base: imageStart, size: textEnd - imageStart),
      image: Region(base: imageStart, size: heapStart - imageStart),
      heap: heap, bridgehead: bridgehead, wild: wild,
      writableShared: Region(base: dataStart, size: heap.end - dataStart))
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
    if rumpk_status_port_open_if_linked(deviceTree) != 0 && StatusReport.sink != nil {
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
