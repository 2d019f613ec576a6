// What the riscv64 cell learns from its device tree: console UART, RAM, timebase, the test device
// that carries an exit code to QEMU, the PLIC and the boot hart's S-mode context on it, and whether
// the boot hart has Sstc (stimecmp). Same image directly under OpenSBI or as a Rumkv cell.

import FDT
import RumpkKernel

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
  /// One walk over the tree (FDT.walk) finds everything: a lookup per path and two more walks per
  /// reg to find the parent made discovery cost several whole-tree walks per fact.
  static func discover(address: UInt, hart: UInt) -> Bool {
    guard address != 0, let fdt = try? FDT.at(UnsafeRawPointer(bitPattern: address)!, maxSize: 1 << 20) else {
      return false
    }
    let chosen = fdt.chosen  // found by the validation walk
    let stdoutValue = chosen.flatMap { fdt.stdoutPathValue(chosen: $0) }
    var stdoutMatch = stdoutValue.flatMap { FDTPathMatch($0) }  // nil for an alias
    var stdout: FDTNode? = nil, stdoutReg: (address: UInt64, size: UInt64)? = nil
    var memoryDone = false
    var cpus: FDTNode? = nil, cpu: FDTNode? = nil, intc: UInt32? = nil
    var test: FDTNode? = nil, testReg: (address: UInt64, size: UInt64)? = nil
    var plic: FDTNode? = nil, plicReg: (address: UInt64, size: UInt64)? = nil
    fdt.walk { n in
      if stdoutMatch?.visit(n) == true {
        stdout = n.node
        stdoutReg = fdt.reg(n, index: 0)
      }
      if n.depth == 1 {  // node(path: "/memory") etc.: the first child of the root with that name
        if !memoryDone && FDT.nameMatches(n.name, component: "memory") {
          memoryDone = true
          if let reg = fdt.reg(n, index: 0) {
            ramStart = reg.address
            ramEnd = reg.address &+ reg.size
          }
        }
        if cpus == nil && FDT.nameMatches(n.name, component: "cpus") { cpus = n.node }
      }
      // The boot hart's /cpus child (reg = hart id), then its interrupt controller's phandle.
      if cpu == nil, let cpus, n.parent == cpus, fdt.reg(n, index: 0)?.address == UInt64(hart),
         fdt.stringEquals(n.node, "device_type", "cpu") {
        cpu = n.node
      }
      guard let c = n.compatible else { return true }
      if intc == nil, let cpu, n.parent == cpu, FDT.listContains(c, "riscv,cpu-intc") {
        intc = fdt.u32(n.node, "phandle") ?? fdt.u32(n.node, "linux,phandle")
      }
      if test == nil && (FDT.listContains(c, "sifive,test1") || FDT.listContains(c, "sifive,test0")) {
        test = n.node
        testReg = fdt.reg(n, index: 0)
      }
      if plic == nil && (FDT.listContains(c, "riscv,plic0") || FDT.listContains(c, "sifive,plic-1.0.0")) {
        plic = n.node
        plicReg = fdt.reg(n, index: 0)
      }
      return true
    }
    if stdout == nil, stdoutMatch == nil, let stdoutValue, let out = fdt.node(path: stdoutValue) {
      stdout = out
      stdoutReg = fdt.reg(out, index: 0)
    }
    if let out = stdout, let reg = stdoutReg {
      uart = UART16550(base: UInt(reg.address), regShift: UInt(fdt.u32(out, "reg-shift") ?? 0))
    }
    if let cpus, let tb = fdt.u32(cpus, "timebase-frequency"), tb != 0 {
      timebase = UInt64(tb)
    }
    if let reg = testReg {
      testDevice = UInt(reg.address)
    }
    if let chosen, let args = fdt.string(chosen, "bootargs") {
      FiberSwitchBench.requested = FDT.words(args, contain: "rumpk.bench=switch")
    }
    if let chosen, let seed = fdt.property(chosen, "rng-seed") {
      rngSeed = seed
    }
    if let cpu { discoverInterrupts(fdt, cpu: cpu, intc: intc, plic: plic, plicReg: plicReg) }
    return true
  }

  /// The boot hart's Sstc support; then the PLIC context whose interrupts-extended entry is (the
  /// hart's interrupt controller phandle, 9 = S-mode external). OpenSBI rewrites the M-mode entries
  /// to -1, which no search here matches.
  static func discoverInterrupts(_ fdt: FDT, cpu: FDTNode, intc: UInt32?, plic node: FDTNode?,
                                 plicReg: (address: UInt64, size: UInt64)?) {
    sstc = fdt.stringListContains(cpu, "riscv,isa-extensions", "sstc")
    if !sstc, let isa = fdt.string(cpu, "riscv,isa") { sstc = isaHasExtension(isa, "sstc") }
    guard let intc, let node, let reg = plicReg,
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
