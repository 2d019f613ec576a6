// escape: tries to write outside its cell. Under Rumkv, 0x7000_0000 is Rumkv's own memory and is not
// in the cell's stage-2 tables. The NPL runs at EL0 (aarch64) or in U-mode (riscv64, where the
// address is in the device region), so the cell's own stage-1 tables stop the store first: Rumpk
// reports the fault and ends the fiber (docs/decisions/K6-el0-npls.md); a kernel-mode store would
// reach stage 2 and Rumkv would stop the cell. "still alive" must never appear. Hosted, the process
// gets SIGSEGV.

import RumpkABI

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  NPL.write("escape: writing outside my window\n")
  // A store to a fixed address the compiler cannot see the end of: it is emitted as written.
  UnsafeMutablePointer<UInt32>(bitPattern: 0x7000_0000)!.pointee = 0xDEAD_BEEF
  NPL.write("escape: still alive\n")
  NPL.halt(0)
}
