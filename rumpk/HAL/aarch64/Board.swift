// What the aarch64 cell learns about its machine from the device tree: console UART, RAM, the PSCI
// conduit, and whether the host enabled semihosting. Nothing here is a build flag: the same image
// runs directly under QEMU and as a Rumkv cell.

import FDT

enum PSCIConduit { case hvc, smc }

struct Board {
  nonisolated(unsafe) static var uart = PL011(base: PL011.fallbackBase)
  nonisolated(unsafe) static var psci: PSCIConduit = .hvc
  nonisolated(unsafe) static var semihosting = false
  nonisolated(unsafe) static var ramStart: UInt64 = 0x4000_0000
  nonisolated(unsafe) static var ramEnd: UInt64 = 0x4800_0000
  nonisolated(unsafe) static var dtbAddress: UInt = 0
  nonisolated(unsafe) static var rngSeed = UnsafeRawBufferPointer(start: nil, count: 0)

  /// QEMU loads an ELF without passing the DTB; it puts it at the start of RAM instead.
  static let ramStartFallback: UInt = 0x4000_0000

  /// Reads the device tree at `candidate` (or the RAM-start fallback). Assumes the tree may be
  /// absent or corrupt; on any error the fallbacks stay and boot continues with a warning.
  static func discover(candidate: UInt) -> Bool {
    var fdt: FDT? = nil
    for address in [candidate, ramStartFallback] where address != 0 {
      if let t = try? FDT.at(UnsafeRawPointer(bitPattern: address)!, maxSize: 1 << 20) {
        fdt = t
        dtbAddress = address
        break
      }
    }
    guard let fdt else { return false }
    if let out = fdt.stdoutPath, let reg = fdt.reg(out, index: 0) {
      uart = PL011(base: UInt(reg.address))
    } else if let node = fdt.firstCompatible("arm,pl011"), let reg = fdt.reg(node, index: 0) {
      uart = PL011(base: UInt(reg.address))
    }
    if let psciNode = fdt.node(path: "/psci"), fdt.stringEquals(psciNode, "method", "smc") {
      psci = .smc
    }
    if let memory = fdt.node(path: "/memory"), let reg = fdt.reg(memory, index: 0) {
      ramStart = reg.address
      ramEnd = reg.address &+ reg.size
    }
    semihosting = fdt.bootargsContains("rumpk.semihosting")
    if let chosen = fdt.node(path: "/chosen"), let seed = fdt.property(chosen, "rng-seed") {
      rngSeed = seed
    }
    return true
  }
}
