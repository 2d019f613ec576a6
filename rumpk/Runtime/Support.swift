// The remaining symbols the embedded stdlib may reference: console output for print(), entropy for
// hashing seeds. Both sides call them: kernel code (EL1 / S-mode) gets the console and the kernel's
// CSPRNG directly; NPL code at EL0 / in U-mode (Heap.callerIsUser) goes through its own syscalls
// (write, random), since the UART and the CSPRNG state are the kernel's
// (docs/decisions/K6-el0-npls.md).

import RumpkABI
import RumpkKernel
import RumpkPlatform

/// Calls SysTable entry `n` (a user-mode caller's way into the kernel).
@inline(__always)
func userSyscall(_ n: Int, _ a0: UInt64, _ a1: UInt64, _ a2: UInt64) -> Int64 {
  let slot = UnsafePointer<UInt64>(bitPattern: SysTableLayout.address + UInt(SysTableLayout.syscallsOffset + 8 * n))!
  let entry = unsafeBitCast(UInt(slot.pointee), to: (@convention(c) (UInt64, UInt64, UInt64, UInt64) -> Int64).self)
  return entry(a0, a1, a2, 0)
}

@_cdecl("putchar")
public func putchar(_ c: Int32) -> Int32 {
  var byte = UInt8(truncatingIfNeeded: c)
  if Heap.callerIsUser {
    _ = withUnsafeMutablePointer(to: &byte) { userSyscall(3, 1, UInt64(UInt(bitPattern: $0)), 1) }
  } else {
    rumpk_platform_console_write(&byte, 1)
  }
  return c
}

@_cdecl("arc4random_buf")
public func arc4random_buf(_ buf: UnsafeMutableRawPointer, _ count: Int) {
  if Heap.callerIsUser {
    _ = userSyscall(10, UInt64(UInt(bitPattern: buf)), UInt64(count), 0)
  } else {
    Entropy.fill(buf.assumingMemoryBound(to: UInt8.self), count)
  }
}
