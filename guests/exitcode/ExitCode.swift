// exitcode: halts with a non-zero code, so tests can check that a cell's code reaches its caller.

import RumpkABI

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  NPL.write("exitcode: halting with code 7\n")
  NPL.halt(7)
}
