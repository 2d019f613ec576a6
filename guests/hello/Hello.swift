// hello: the smallest NPL. Uses only the ABI: write through the SysTable, then halt with code 0.

import RumpkABI

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  NPL.write("hello: Hello from an NPL, through the SysTable\n")
  NPL.halt(0)
}
