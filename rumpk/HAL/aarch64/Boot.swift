// aarch64 cell start-up after boot.S: learn the board, plan memory, hand over to CellBoot, power off
// with the halt code.

import FDT
import RumpkArch
import RumpkKernel
import RumpkRuntime
import RumpkPlatform

/// Entered from boot.S at EL1 with a stack. `dtb` is the loader's x0, `enteredAt` the EL of _start.
@_cdecl("rumpk_main")
public func rumpkMain(_ dtb: UInt, _ enteredAt: UInt) -> Never {
  MMU.early()  // caches on and no alignment faults from here on (docs/decisions/K6-el0-npls.md)
  if enteredAt == 2 { Board.psci = .smc }  // nothing above EL2 but firmware
  // Devices are reached through MMU.device, which covers physical GiB 0; the image must lie in
  // /memory up to the end of what it loads (the heap follows it).
  let imageStart = UInt64(rumpk_image_start())
  let found = Board.discover(candidate: dtb, image: imageStart..<UInt64(rumpk_heap_load()), deviceLimit: MMU.gib)
  // The NPL image is linked at window A and loaded at rumpk_npl_load (link.ld); the plan lays out
  // heap, Bridgehead and Wild after its load range (K9-npl-windows.md).
  var plan = CellMemoryPlan.makeAtBoot(
    imageStart: imageStart, textEnd: UInt64(rumpk_text_end()),
    dataStart: UInt64(rumpk_npl_load()), heapStart: UInt64(rumpk_heap_load()), ramEnd: Board.ramEnd)
  let mapped = MMU.enable(ramEnd: Board.ramEnd, plan: plan)
  guard MMU.ready else {
    Console.put("rumpk: the NPL windows cannot be mapped; stopping the cell\n")
    Power.off(code: 70)
  }
  // NPL code sees its image and heap in window A and its partitions in window B; syscalls take
  // window addresses, which the kernel checks against the NPL image's load range.
  plan.placeNPL(in: MMU.imageWindow, partitions: MMU.partitionWindow,
                textStart: UInt64(rumpk_npl_text_start()), textEnd: UInt64(rumpk_npl_text_end()),
                rodataEnd: UInt64(rumpk_npl_rodata_end()), dataStart: UInt64(rumpk_data_start()))
  Heap.initialize(start: UInt(rumpk_heap_start()), end: UInt(rumpk_heap_start()) + UInt(plan.heap.size))
  UserMemory.setShared(readOnly: plan.image, readWrite: plan.writableShared)
  if !found {
    // QEMU loads a -dtb file into 2 × (size + 10000) bytes and drops it silently when that does not
    // fit the 2 MiB below the image (docs/decisions/K10-board-values.md).
    Console.put("rumpk: no device tree found in x0 or at the start of RAM (a -dtb over 1 MiB - 10000 bytes does not fit there); using QEMU virt defaults\n")
  }
  Console.put("rumpk: MMU and caches on: devices at 0x"); Console.hex(MMU.deviceAlias)
  Console.put(" + PA, RAM identity up to 0x"); Console.hex(mapped)
  Console.put(", NPL windows A 0x"); Console.hex(MMU.windowA); Console.put(" B 0x"); Console.hex(MMU.windowB)
  Console.put("\n")
  Interrupts.initialize()
  // K5 virtio: drivers read the DTB (rumpk/Drivers/virtio) with the MMU on: only where RAM is mapped.
  CellBoot.deviceTree = found ? UInt64(Board.dtbAddress) : 0
  if found, !(BoardRange(base: Board.ramStart, size: Board.ramEnd - Board.ramStart)?
      .contains(UInt64(Board.dtbAddress), count: Board.treeSize) ?? false) {
    BoardReport.warn("/memory", "reg", "does not cover the device tree", "virtio devices are not probed")
    CellBoot.deviceTree = 0
  }
  let el = (read_CurrentEL() >> 2) & 3
  // NPLs run at EL0 (docs/decisions/K6-el0-npls.md): the SysTable entries are svc stubs (svc.S).
  var stubs = [UInt64]()
  for n in 0..<12 { stubs.append(UInt64(rumpk_svc_stubs_address()) + UInt64(n) * 8) }
  let code = stubs.withUnsafeBufferPointer { entries in
    CellBoot.run(
      CellIdentity(arch: "aarch64", privilege: el == 1 ? "EL1" : "EL?", enteredAt: enteredAt == 2 ? "EL2" : "EL1"),
      plan: plan, seed: UnsafeRawBufferPointer(start: nil, count: 0), npl: npl_main, syscallEntries: MMU.ready ? entries : nil, userMode: MMU.ready)
  }
  Interrupts.report()
  Power.off(code: code)
}
