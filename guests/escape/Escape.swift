// escape: tries to write outside its cell. Under Rumkv, 0x7000_0000 is Rumkv's own memory and is not
// in the cell's stage-2 tables, so the store faults and Rumkv stops the cell; "still alive" must never
// appear. Booted directly (no Rumkv) nothing stops the store, so no test runs it that way.

import RumpkABI
import _Volatile

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  NPL.write("escape: writing outside my window\n")
  VolatileMappedRegister<UInt32>(unsafeBitPattern: 0x7000_0000).store(0xDEAD_BEEF)
  NPL.write("escape: still alive\n")
  NPL.halt(0)
}
