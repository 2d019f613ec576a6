// riscv64 cell start-up after boot.S: learn the board, plan memory, turn Sv39 on, hand over to
// CellBoot, power off with the halt code.

import FDT
import RumpkArch
import RumpkKernel
import RumpkRuntime
import RumpkPlatform

/// Entered from boot.S in S-mode with a stack. `dtb` comes from the loader's a1; `enteredIn` is the
/// mode the image was entered in: 1 = S-mode (SBI firmware or Rumkv), 3 = M-mode (no firmware, the
/// shim in mshim.S).
@_cdecl("rumpk_main")
public func rumpkMain(_ dtb: UInt, _ hart: UInt, _ enteredIn: UInt) -> Never {
  // Devices are reached identity below the image's GiB (MMU.swift); the image must lie in /memory
  // up to the end of what it loads (the heap follows it).
  let imageStart = UInt64(rumpk_image_start())
  let found = Board.discover(address: dtb, hart: hart, image: imageStart..<UInt64(rumpk_heap_load()),
                             deviceLimit: imageStart & ~(MMU.gib - 1))
  // The NPL image is linked at window A and loaded at rumpk_npl_load (link.ld); the plan lays out
  // heap, Bridgehead and Wild after its load range (K9-npl-windows.md).
  var plan = CellMemoryPlan.makeAtBoot(
    imageStart: imageStart, textEnd: UInt64(rumpk_text_end()),
    dataStart: UInt64(rumpk_npl_load()), heapStart: UInt64(rumpk_heap_load()), ramEnd: Board.ramEnd)
  let mapped = MMU.enable(ramEnd: Board.ramEnd, plan: plan)
  if !found { Console.put("rumpk: no device tree found in a1; using QEMU virt defaults\n") }
  guard MMU.ready else {
    Console.put("rumpk: Sv39 or the NPL windows cannot be set up; stopping the cell\n")
    Power.off(code: 70)
  }
  // NPL code sees its image and heap in window A and its partitions in window B; syscalls take
  // window addresses, which the kernel checks against the NPL image's load range. The kernel view
  // has no windows: the NPL heap is formatted through its load address.
  plan.placeNPL(in: MMU.imageWindow, partitions: MMU.partitionWindow,
                textStart: UInt64(rumpk_npl_text_start()), textEnd: UInt64(rumpk_npl_text_end()),
                rodataEnd: UInt64(rumpk_npl_rodata_end()), dataStart: UInt64(rumpk_data_start()))
  Heap.initialize(start: UInt(rumpk_heap_start()), end: UInt(rumpk_heap_start()) + UInt(plan.heap.size),
                  writeAt: UInt(plan.heap.base))
  UserMemory.setShared(readOnly: plan.image, readWrite: plan.writableShared)
  Console.put("rumpk: Sv39 on, identity map: devices below 0x")
  Console.hex(plan.image.base / MMU.gib * MMU.gib)
  Console.put(", RAM up to 0x")
  Console.hex(mapped)
  Console.put(", NPL windows A 0x"); Console.hex(MMU.windowA); Console.put(" B 0x"); Console.hex(MMU.windowB)
  Console.put(MMU.hasASIDs ? "; NPLs in U-mode\n" : " (no ASIDs); NPLs in U-mode\n")
  Interrupts.initialize()
  // K5 virtio: drivers read the DTB (rumpk/Drivers/virtio) with the MMU on: only where RAM is mapped.
  CellBoot.deviceTree = found ? UInt64(dtb) : 0
  if found, !(BoardRange(base: Board.ramStart, size: Board.ramEnd - Board.ramStart)?.contains(UInt64(dtb), count: Board.treeSize) ?? false) {
    BoardReport.warn("/memory", "reg", "does not cover the device tree", "virtio devices are not probed")
    CellBoot.deviceTree = 0
  }
  // NPLs run in U-mode (docs/decisions/K6-el0-npls.md): the SysTable entries are ecall stubs (ecall.S).
  var stubs = InlineArray<12, UInt64>(repeating: 0)
  for n in 0..<12 { stubs[n] = UInt64(rumpk_ecall_stubs_address()) + UInt64(n) * 16 }
  let code = withUnsafeBytes(of: &stubs) { raw in
    let entries = UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt64.self), count: 12)
    return CellBoot.run(CellIdentity(arch: "riscv64", privilege: "S-mode", enteredAt: enteredIn == 3 ? "M-mode" : "S-mode"),
                        plan: plan, seed: UnsafeRawBufferPointer(start: nil, count: 0), npl: npl_main,
                        syscallEntries: MMU.ready ? entries : nil, userMode: MMU.ready)
  }
  Interrupts.report()
  Power.off(code: code)
}
