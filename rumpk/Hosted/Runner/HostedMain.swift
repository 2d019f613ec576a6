// The entry of a hosted cell executable (compiled by SwiftPM, linked by rumpk/link-hosted): runs the
// guest's npl_main on the hosted kernel and exits with its halt code.

import RumpkHosted
import RumpkPlatform

@_cdecl("rumpk_hosted_main")
public func rumpkHostedMain() -> Int32 {
  do {
    let code = try HostedCell.run(npl: npl_main)
    return Int32(truncatingIfNeeded: code)
  } catch {
    var message: StaticString = "rumpk: cannot map the SysTable at its fixed address in this process\n"
    if case .noArena = error { message = "rumpk: cannot map the kernel arena\n" }
    rumpk_platform_console_write(message.utf8Start, message.utf8CodeUnitCount)
    return 70
  }
}
