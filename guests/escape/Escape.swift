// escape: tries to write outside its cell. Under Rumkv, 0x7000_0000 is Rumkv's own memory and is not
// in the cell's stage-2 tables, so the store faults and Rumkv stops the cell; "still alive" must never
// appear. Booted directly (no Rumkv) nothing stops the store, so no test runs it that way; hosted, the
// process gets SIGSEGV.

import RumpkABI

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  NPL.write("escape: writing outside my window\n")
  // A store to a fixed address the compiler cannot see the end of: it is emitted as written.
  UnsafeMutablePointer<UInt32>(bitPattern: 0x7000_0000)!.pointee = 0xDEAD_BEEF
  NPL.write("escape: still alive\n")
  NPL.halt(0)
}
