// riscv64 cell start-up after boot.S: learn the board, plan memory, hand over to CellBoot, power off
// with the halt code.

import RumpkArch
import RumpkKernel
import RumpkRuntime
import RumpkPlatform

/// Entered from boot.S in S-mode with a stack. `dtb` comes from the loader's a1.
@_cdecl("rumpk_main")
public func rumpkMain(_ dtb: UInt, _ hart: UInt) -> Never {
  let found = Board.discover(address: dtb, hart: hart)
  let plan = CellMemoryPlan.make(
    imageStart: UInt64(rumpk_image_start()), textEnd: UInt64(rumpk_text_end()),
    dataStart: UInt64(rumpk_data_start()), heapStart: UInt64(rumpk_heap_start()), ramEnd: Board.ramEnd)
  Heap.initialize(start: UInt(plan.heap.base), end: UInt(plan.heap.end))
  UserMemory.setShared(readOnly: plan.image, readWrite: plan.writableShared)
  if !found { Console.put("rumpk: no device tree found; using QEMU virt defaults\n") }
  Interrupts.initialize()
  CellBoot.deviceTree = found ? UInt64(dtb) : 0  // K5 virtio: drivers read the DTB (rumpk/Drivers/virtio)
  let code = CellBoot.run(CellIdentity(arch: "riscv64", privilege: "S-mode", enteredAt: "S-mode"),
                          plan: plan, seed: Board.rngSeed, npl: npl_main)
  Interrupts.report()
  Power.off(code: code)
}
