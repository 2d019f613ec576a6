// The remaining symbols the embedded stdlib may reference: console output for print(), entropy for
// hashing seeds (from the kernel's CSPRNG).

import RumpkKernel
import RumpkPlatform

@_cdecl("putchar")
public func putchar(_ c: Int32) -> Int32 {
  var byte = UInt8(truncatingIfNeeded: c)
  rumpk_platform_console_write(&byte, 1)
  return c
}

@_cdecl("arc4random_buf")
public func arc4random_buf(_ buf: UnsafeMutableRawPointer, _ count: Int) {
  Entropy.fill(buf.assumingMemoryBound(to: UInt8.self), count)
}
