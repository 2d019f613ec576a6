// Console lines from the drivers without String interpolation: the kernel's Console (static strings,
// numbers), with a 0x prefix for hex.

import RumpkKernel
import VirtioCore

enum Log {
  static func put(_ s: StaticString) { Console.put(s) }
  static func dec(_ v: UInt64) { Console.dec(v) }
  static func put(bytes: UnsafeRawBufferPointer) { Console.put(bytes: bytes) }
  static func hex(_ v: UInt64) {
    Console.put("0x")
    Console.hex(v)
  }
}
