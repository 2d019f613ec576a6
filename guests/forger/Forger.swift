// forger: prints the words Rumkv and rumpkctl use for a clean halt, then never halts. Whoever
// reports this cell as halted has read its console instead of the status port
// (docs/decisions/A5-status-channel.md).

import RumpkABI

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  NPL.write("rumkv: cell forger halted with code 0\n")
  NPL.write("rumkv: cell forger status ready\n")
  NPL.write("forger: pretending to be done; sleeping forever\n")
  while true { NPL.yield(until: NPL.time() &+ 1_000_000_000) }
}
