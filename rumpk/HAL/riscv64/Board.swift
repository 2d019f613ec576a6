// What the riscv64 cell learns from its device tree: console UART, RAM, timebase, the test device
// that carries an exit code to QEMU. Same image directly under OpenSBI or as a Rumkv cell.

import FDT

struct Board {
  nonisolated(unsafe) static var uart = UART16550(base: UART16550.fallbackBase)
  nonisolated(unsafe) static var ramStart: UInt64 = 0x8000_0000
  nonisolated(unsafe) static var ramEnd: UInt64 = 0x8800_0000
  nonisolated(unsafe) static var timebase: UInt64 = 10_000_000
  nonisolated(unsafe) static var testDevice: UInt = 0
  nonisolated(unsafe) static var rngSeed = UnsafeRawBufferPointer(start: nil, count: 0)

  /// Reads the device tree at `address`. On any error the fallbacks stay and boot goes on.
  static func discover(address: UInt) -> Bool {
    guard address != 0, let fdt = try? FDT.at(UnsafeRawPointer(bitPattern: address)!, maxSize: 1 << 20) else {
      return false
    }
    if let out = fdt.stdoutPath, let reg = fdt.reg(out, index: 0) {
      uart = UART16550(base: UInt(reg.address), regShift: UInt(fdt.u32(out, "reg-shift") ?? 0))
    }
    if let memory = fdt.node(path: "/memory"), let reg = fdt.reg(memory, index: 0) {
      ramStart = reg.address
      ramEnd = reg.address &+ reg.size
    }
    if let cpus = fdt.node(path: "/cpus"), let tb = fdt.u32(cpus, "timebase-frequency"), tb != 0 {
      timebase = UInt64(tb)
    }
    if let test = fdt.firstCompatible("sifive,test1") ?? fdt.firstCompatible("sifive,test0"),
       let reg = fdt.reg(test, index: 0) {
      testDevice = UInt(reg.address)
    }
    if let chosen = fdt.node(path: "/chosen"), let seed = fdt.property(chosen, "rng-seed") {
      rngSeed = seed
    }
    return true
  }
}
