// What the riscv64 cell learns from its device tree: console UART, RAM, timebase, the test device
// that carries an exit code to QEMU, the PLIC and the boot hart's S-mode context on it, and whether
// the boot hart has Sstc (stimecmp). Same image directly under OpenSBI or as a Rumkv cell.

import FDT

struct Board {
  nonisolated(unsafe) static var uart = UART16550(base: UART16550.fallbackBase)
  nonisolated(unsafe) static var ramStart: UInt64 = 0x8000_0000
  nonisolated(unsafe) static var ramEnd: UInt64 = 0x8800_0000
  nonisolated(unsafe) static var timebase: UInt64 = 10_000_000
  nonisolated(unsafe) static var testDevice: UInt = 0
  nonisolated(unsafe) static var rngSeed = UnsafeRawBufferPointer(start: nil, count: 0)
  /// PLIC base (0: none in the tree), the boot hart's S-mode external-interrupt context on it, and
  /// how many sources it has (riscv,ndev).
  nonisolated(unsafe) static var plic: UInt = 0
  nonisolated(unsafe) static var plicContext: UInt32 = 0
  nonisolated(unsafe) static var plicSources: UInt32 = 0
  /// The boot hart's riscv,isa (or riscv,isa-extensions) names Sstc. M-mode must also have set
  /// menvcfg.STCE; Interrupts probes that before trusting it.
  nonisolated(unsafe) static var sstc = false

  /// Reads the device tree at `address`. On any error the fallbacks stay and boot goes on.
  static func discover(address: UInt, hart: UInt) -> Bool {
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
    let cpus = fdt.node(path: "/cpus")
    if let cpus, let tb = fdt.u32(cpus, "timebase-frequency"), tb != 0 {
      timebase = UInt64(tb)
    }
    // One walk over the tree for both devices found by compatible (a full walk of QEMU virt's tree
    // costs some 80k instructions).
    var test: FDTNode? = nil
    var plic: FDTNode? = nil
    fdt.forEachNode { n, _ in
      guard let c = fdt.property(n, "compatible") else { return true }
      if test == nil && (listContains(c, "sifive,test1") || listContains(c, "sifive,test0")) { test = n }
      if plic == nil && (listContains(c, "riscv,plic0") || listContains(c, "sifive,plic-1.0.0")) { plic = n }
      return test == nil || plic == nil
    }
    if let test, let reg = fdt.reg(test, index: 0) {
      testDevice = UInt(reg.address)
    }
    if let chosen = fdt.node(path: "/chosen"), let seed = fdt.property(chosen, "rng-seed") {
      rngSeed = seed
    }
    if let cpus { discoverInterrupts(fdt, cpus: cpus, hart: UInt64(hart), plic: plic) }
    return true
  }

  /// True when the NUL-separated string list `list` (a compatible value) holds `name`.
  static func listContains(_ list: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
    let n = name.utf8CodeUnitCount
    var start = 0
    while start < list.count {
      var end = start
      while end < list.count && list[end] != 0 { end += 1 }
      if end - start == n {
        var k = 0
        while k < n && list[start + k] == name.utf8Start[k] { k += 1 }
        if k == n { return true }
      }
      start = end + 1
    }
    return false
  }

  /// The boot hart's /cpus node (reg = hart id), its Sstc support and its interrupt controller's
  /// phandle; then the PLIC context whose interrupts-extended entry is (that phandle, 9 = S-mode
  /// external). OpenSBI rewrites the M-mode entries to -1, which no search here matches.
  static func discoverInterrupts(_ fdt: FDT, cpus: FDTNode, hart: UInt64, plic node: FDTNode?) {
    var cpu: FDTNode? = nil
    fdt.forEachChild(of: cpus) { n in
      if fdt.reg(n, index: 0)?.address == hart, fdt.stringEquals(n, "device_type", "cpu") { cpu = n }
      return cpu == nil
    }
    guard let cpu else { return }
    sstc = fdt.stringListContains(cpu, "riscv,isa-extensions", "sstc")
    if !sstc, let isa = fdt.string(cpu, "riscv,isa") { sstc = isaHasExtension(isa, "sstc") }
    var intc: UInt32? = nil
    fdt.forEachChild(of: cpu) { n in
      if let c = fdt.property(n, "compatible"), listContains(c, "riscv,cpu-intc") {
        intc = fdt.u32(n, "phandle") ?? fdt.u32(n, "linux,phandle")
      }
      return intc == nil
    }
    guard let intc, let node, let reg = fdt.reg(node, index: 0),
          let pairs = fdt.property(node, "interrupts-extended") else { return }
    // (phandle, irq) pairs of big-endian cells: a riscv,cpu-intc has #interrupt-cells = 1.
    func cell(_ i: Int) -> UInt32 {
      UInt32(pairs[4 * i]) << 24 | UInt32(pairs[4 * i + 1]) << 16 | UInt32(pairs[4 * i + 2]) << 8 | UInt32(pairs[4 * i + 3])
    }
    var i = 0
    while 4 * (i + 2) <= pairs.count {
      if cell(i) == intc && cell(i + 1) == 9 {
        plic = UInt(reg.address)
        plicContext = UInt32(i / 2)
        plicSources = min(fdt.u32(node, "riscv,ndev") ?? 31, 1023)
        return
      }
      i += 2
    }
  }

  /// True when the ISA string (e.g. "rv64imafdch_zicsr_sstc") lists the multi-letter extension
  /// `name` (lowercase) as one of its underscore-separated parts. Case-insensitive.
  static func isaHasExtension(_ isa: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
    var start = 0
    while start <= isa.count {
      var end = start
      while end < isa.count && isa[end] != UInt8(ascii: "_") { end += 1 }
      if end - start == name.utf8CodeUnitCount {
        var same = true
        for k in 0..<(end - start) where isa[start + k] | 0x20 != name.utf8Start[k] { same = false }
        if same { return true }
      }
      start = end + 1
    }
    return false
  }
}
