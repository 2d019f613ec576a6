// Hosted mode: the platform interface (rumpk_platform.h) on Linux, so the portable kernel core runs
// as a process (tests, hosted guests, benchmarks).

import Glibc
import RumpkHostedSwitch
import RumpkPlatform

@_cdecl("rumpk_platform_console_write")
public func hostedConsoleWrite(_ bytes: UnsafePointer<UInt8>?, _ count: Int) {
  guard let bytes else { return }
  var done = 0
  while done < count {
    let n = Glibc.write(1, bytes + done, count - done)
    if n <= 0 { if errno == EINTR { continue }; return }
    done += n
  }
}

@_cdecl("rumpk_platform_console_read")
public func hostedConsoleRead(_ bytes: UnsafeMutablePointer<UInt8>?, _ capacity: Int) -> Int {
  guard let bytes, capacity > 0 else { return 0 }
  var fds = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
  guard poll(&fds, 1, 0) > 0 else { return 0 }
  let n = Glibc.read(0, bytes, capacity)
  return n > 0 ? n : 0
}

@_cdecl("rumpk_platform_time_ns")
public func hostedTimeNs() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

@_cdecl("rumpk_platform_wait")
public func hostedWait(_ deadline: UInt64) {
  HostedEvents.wait(until: deadline)
}

@_cdecl("rumpk_platform_entropy")
public func hostedEntropy(_ bytes: UnsafeMutablePointer<UInt8>?, _ count: Int) {
  guard let bytes else { return }
  var done = 0
  while done < count {
    let n = rumpk_hosted_getrandom(bytes + done, UInt(count - done))
    if n <= 0 { continue }
    done += n
  }
}

@_cdecl("rumpk_platform_halt")
public func hostedHalt(_ code: UInt64) -> Never {
  exit(Int32(truncatingIfNeeded: code))
}
