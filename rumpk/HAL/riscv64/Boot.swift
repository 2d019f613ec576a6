// riscv64 cell start-up after boot.S: learn the board, set up the heap, hand over to CellBoot.

import RumpkArch
import RumpkKernel
import RumpkPlatform

/// Entered from boot.S in S-mode with a stack. `dtb` comes from the loader's a1.
@_cdecl("rumpk_main")
public func rumpkMain(_ dtb: UInt, _ hart: UInt) -> Never {
  let found = Board.discover(address: dtb)
  let heapStart = UInt(rumpk_heap_start())
  Heap.initialize(start: heapStart, end: heapStart + 8 << 20)
  UserMemory.setWindow(start: Board.ramStart, end: Board.ramEnd)
  if !found { Console.write("rumpk: no device tree found; using QEMU virt defaults\n") }
  CellBoot.run(CellIdentity(arch: "riscv64", privilege: "S-mode", enteredAt: "S-mode"), seed: Board.rngSeed, npl: npl_main)
}
