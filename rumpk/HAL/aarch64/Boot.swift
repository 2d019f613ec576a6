// aarch64 cell start-up after boot.S: learn the board, set up the heap, hand over to the portable
// CellBoot.

import FDT
import RumpkArch
import RumpkKernel
import RumpkPlatform

/// Entered from boot.S at EL1 with a stack. `dtb` is the loader's x0, `enteredAt` the EL of _start.
@_cdecl("rumpk_main")
public func rumpkMain(_ dtb: UInt, _ enteredAt: UInt) -> Never {
  if enteredAt == 2 { Board.psci = .smc }  // nothing above EL2 but firmware
  let found = Board.discover(candidate: dtb)
  let heapStart = UInt(rumpk_heap_start())
  Heap.initialize(start: heapStart, end: heapStart + 8 << 20)
  UserMemory.setWindow(start: Board.ramStart, end: Board.ramEnd)
  if !found { Console.write("rumpk: no device tree found; using QEMU virt defaults\n") }
  let el = (read_CurrentEL() >> 2) & 3
  CellBoot.run(
    CellIdentity(arch: "aarch64", privilege: el == 1 ? "EL1" : "EL?", enteredAt: enteredAt == 2 ? "EL2" : "EL1"),
    seed: Board.rngSeed, npl: npl_main)
}
