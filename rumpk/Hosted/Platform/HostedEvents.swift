// The hosted platform's idle wait: an eventfd that other threads signal when they push an event, and
// poll() with the scheduler's next deadline as timeout (tickless, like WFI with a one-shot timer).

import Glibc
import RumpkHostedSwitch

public enum HostedEvents {
  nonisolated(unsafe) static var fd: Int32 = rumpk_hosted_eventfd()

  /// Wakes a platform wait from any thread.
  public static func notify() {
    var one: UInt64 = 1
    _ = Glibc.write(fd, &one, 8)
  }

  /// Blocks until `deadline` (monotonic ns; 0 = none) or a notify, whichever comes first.
  static func wait(until deadline: UInt64) {
    var timeout: Int32 = -1
    if deadline != 0 {
      let now = hostedTimeNs()
      if deadline <= now { return }
      timeout = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
    }
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    rumpk_hosted_clock_idle(1)
    defer { rumpk_hosted_clock_idle(0) }
    if poll(&p, 1, timeout) > 0 {
      var value: UInt64 = 0
      _ = Glibc.read(fd, &value, 8)
    }
  }
}
