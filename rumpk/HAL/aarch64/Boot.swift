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
  let found = Board.discover(candidate: dtb)
  var plan = CellMemoryPlan.make(
    imageStart: UInt64(rumpk_image_start()), textEnd: UInt64(rumpk_text_end()),
    dataStart: UInt64(rumpk_data_start()), heapStart: UInt64(rumpk_heap_start()), ramEnd: Board.ramEnd)
  let mapped = MMU.enable(ramEnd: Board.ramEnd, plan: plan)
  Heap.initialize(start: UInt(plan.heap.base), end: UInt(plan.heap.end))
  // What NPLs may pass to syscalls read-only: text and rodata, not the kernel's data that follows
  // (docs/decisions/K6-el0-npls.md); their own data, bss and heap are in writableShared.
  plan.image = Region(base: plan.image.base, size: UInt64(rumpk_stack_bottom()) - plan.image.base)
  UserMemory.setShared(readOnly: plan.image, readWrite: plan.writableShared)
  if !found { Console.put("rumpk: no device tree found; using QEMU virt defaults\n") }
  Console.put("rumpk: MMU and caches on, identity map: device below 0x40000000, normal up to 0x")
  Console.hex(mapped)
  Console.put("\n")
  Interrupts.initialize()
  CellBoot.deviceTree = found ? UInt64(Board.dtbAddress) : 0  // K5 virtio: drivers read the DTB (rumpk/Drivers/virtio)
  let el = (read_CurrentEL() >> 2) & 3
  // NPLs run at EL0 (docs/decisions/K6-el0-npls.md): the SysTable entries are svc stubs (svc.S).
  var stubs = [UInt64]()
  for n in 0..<12 { stubs.append(UInt64(rumpk_svc_stubs_address()) + UInt64(n) * 8) }
  let code = stubs.withUnsafeBufferPointer { entries in
    CellBoot.run(
      CellIdentity(arch: "aarch64", privilege: el == 1 ? "EL1" : "EL?", enteredAt: enteredAt == 2 ? "EL2" : "EL1"),
      plan: plan, seed: Board.rngSeed, npl: npl_main, syscallEntries: MMU.ready ? entries : nil, userMode: MMU.ready)
  }
  Interrupts.report()
  Power.off(code: code)
}
