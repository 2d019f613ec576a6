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
  /// The sifive test device. Until a tree is read (and when none is used) QEMU virt's, as for the
  /// UART; a tree that names none or a bad one leaves 0 (power-off through SBI SRST).
  nonisolated(unsafe) static var testDevice: UInt = 0x10_0000
  /// The tree's totalsize (0: no tree used).
  nonisolated(unsafe) static var treeSize: UInt64 = 0
  /// PLIC base (0: none in the tree), the boot hart's S-mode external-interrupt context on it, and
  /// how many sources it has (riscv,ndev).
  nonisolated(unsafe) static var plic: UInt = 0
  nonisolated(unsafe) static var plicContext: UInt32 = 0
  nonisolated(unsafe) static var plicSources: UInt32 = 0
  /// The boot hart's riscv,isa (or riscv,isa-extensions) names Sstc. M-mode must also have set
  /// menvcfg.STCE; Interrupts probes that before trusting it.
  nonisolated(unsafe) static var sstc = false

  /// Reads the device tree at `address`. `image` is the running image's load range (its first byte
  /// to the end of what it loads), `deviceLimit` the end of the physical range devices are reached
  /// in (MMU.swift: identity below the image's GiB). Returns false, changing nothing, when there is
  /// no tree at `address` (no FDT magic): the QEMU virt fallbacks stay. A tree that is there but
  /// over BoardValues.treeSizeLimit or malformed, or whose /memory does not hold the image, stops
  /// the cell (BoardReport). Guarantees otherwise: every board static is its fallback or a value
  /// that passed its check (docs/decisions/K10-board-values.md), set only once the tree validated
  /// to its end. One pass validates the tree and reports its nodes (FDT.at(_:maxSize:walk:)); what
  /// they say is kept in a RiscvDiscovery until the pass has ended (the aarch64 board does the same).
  static func discover(address: UInt, hart: UInt, image: Range<UInt64>, deviceLimit: UInt64) -> Bool {
    guard address != 0, let start = UnsafeRawPointer(bitPattern: address),
          let claimed = BoardValues.claimedTreeSize(at: start) else { return false }
    guard claimed <= BoardValues.treeSizeLimit else {
      BoardReport.refuseTree(at: UInt64(address), "too large", totalSize: UInt64(claimed),
                             limit: UInt64(BoardValues.treeSizeLimit))
    }
    let kinds = FDTNameSet(
      "sifive,test1\0sifive,test0\0riscv,plic0\0sifive,plic-1.0.0\0riscv,cpu-intc\0virtio,mmio\0")
    var found = RiscvDiscovery(hart: UInt64(hart))
    var rootChildren = FDTRootIndex()  // /chosen comes last in QEMU's tree: stdout-path is resolved after
    // Every virtio-mmio transport, for the status port: a list of its own, not a field of the
    // discovery record the walk passes around on every node.
    var virtio = VirtioTransportList()
    let fdt: FDT
    do throws(FDTError) {
      fdt = try FDT.at(start, maxSize: BoardValues.treeSizeLimit) { fdt, n in
        rootChildren.visit(n)
        let matched = kinds.matches(n.compatible ?? UnsafeRawBufferPointer(start: nil, count: 0))
        if matched & RiscvDiscovery.virtio != 0 { virtio.append(fdt.reg(n, index: 0)) }
        found.visit(fdt, n, matched)
        return true
      }
    } catch {
      BoardReport.refuseTree(at: UInt64(address), error.reason)
    }
    treeSize = UInt64(fdt.totalSize)
    found.commit(fdt, rootChildren, image: image, deviceLimit: deviceLimit)
    VirtioTransports.board = virtio
    return true
  }

  /// The boot hart's Sstc support; then the PLIC context whose interrupts-extended entry is (the
  /// hart's interrupt controller phandle, 9 = S-mode external). OpenSBI rewrites the M-mode entries
  /// to -1, which no search here matches.
  /// The PLIC's reg must cover that context's registers below `deviceLimit`; otherwise the cell has
  /// no device interrupts (drivers poll) and says so.
  static func discoverInterrupts(_ fdt: FDT, cpu: FDTNode, intc: UInt32?, plic node: FDTNode?,
                                 plicName: UnsafeRawBufferPointer, plicReg: (address: UInt64, size: UInt64)?,
                                 deviceLimit: UInt64) {
    sstc = fdt.stringListContains(cpu, "riscv,isa-extensions", "sstc")
    if !sstc, let isa = fdt.string(cpu, "riscv,isa") { sstc = isaHasExtension(isa, "sstc") }
    guard let intc, let node, let pairs = fdt.property(node, "interrupts-extended") else { return }
    // (phandle, irq) pairs of big-endian cells: a riscv,cpu-intc has #interrupt-cells = 1.
    func cell(_ i: Int) -> UInt32 {
      UInt32(pairs[4 * i]) << 24 | UInt32(pairs[4 * i + 1]) << 16 | UInt32(pairs[4 * i + 2]) << 8 | UInt32(pairs[4 * i + 3])
    }
    var i = 0
    while 4 * (i + 2) <= pairs.count {
      if cell(i) == intc && cell(i + 1) == 9 {
        let context = UInt64(i / 2)
        do throws(BoardValueProblem) {
          let reg = try BoardValues.device(plicReg, registers: UInt64(PLIC.contextBase) + 0x1000 * (context + 1),
                                           below: deviceLimit)
          plic = UInt(reg.base)
          plicContext = UInt32(context)
          plicSources = min(fdt.u32(node, "riscv,ndev") ?? 31, 1023)
        } catch {
          BoardReport.warn(plicName, "reg", error.reason, "no device interrupts (drivers poll)")
        }
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

/// What the validating walk learns, kept aside until the tree has validated to its end.
struct RiscvDiscovery {
  /// The bits of discover's FDTNameSet.
  static let test: UInt32 = 1 | 2, plic: UInt32 = 4 | 8, intc: UInt32 = 16, virtio: UInt32 = 32
  let hart: UInt64
  var memory: (address: UInt64, size: UInt64)? = nil, memoryDone = false
  var memoryProblem: BoardValueProblem? = .missing
  var cpus: FDTNode? = nil, cpu: FDTNode? = nil, intc: UInt32? = nil
  var testReg: (address: UInt64, size: UInt64)? = nil, testDone = false
  var testName = UnsafeRawBufferPointer(start: nil, count: 0)
  var plic: FDTNode? = nil, plicReg: (address: UInt64, size: UInt64)? = nil
  var plicName = UnsafeRawBufferPointer(start: nil, count: 0)

  init(hart: UInt64) { self.hart = hart }

  /// Takes what it needs from `n`, whose compatible has the kinds `matched`: /memory and /cpus (the
  /// first root children of those names), the boot hart's /cpus child (reg = hart id) and its
  /// interrupt controller's phandle, the first test device and the first PLIC (virtio-mmio
  /// transports are listed by discover itself).
  mutating func visit(_ fdt: FDT, _ n: FDTWalkNode, _ matched: UInt32) {
    if n.depth == 1 {
      if !memoryDone && FDT.nameMatches(n.name, component: "memory") {
        memoryDone = true
        memory = fdt.reg(n, index: 0)
        memoryProblem = fdt.regProblem(n, index: 0)
      }
      if cpus == nil && FDT.nameMatches(n.name, component: "cpus") { cpus = n.node }
    }
    if cpu == nil, let cpus, n.parent == cpus, fdt.reg(n, index: 0)?.address == hart,
       fdt.stringEquals(n, "device_type", "cpu") {
      cpu = n.node
    }
    if matched == 0 { return }
    if intc == nil, matched & RiscvDiscovery.intc != 0, let cpu, n.parent == cpu {
      intc = fdt.u32(n.node, "phandle") ?? fdt.u32(n.node, "linux,phandle")
    }
    if !testDone && matched & RiscvDiscovery.test != 0 {
      testDone = true
      testReg = fdt.reg(n, index: 0)
      testName = n.name
    }
    if plic == nil && matched & RiscvDiscovery.plic != 0 {
      plic = n.node
      plicReg = fdt.reg(n, index: 0)
      plicName = n.name
    }
  }

  /// Sets the board from what the walk found and from /chosen (console, boot arguments, seed),
  /// each value checked first (docs/decisions/K10-board-values.md). Order: the console (so later
  /// lines reach it), the test device (so a refusal powers off through it), then /memory, which
  /// refuses the cell unless it holds `image`. The rng-seed is mixed into the CSPRNG here, while the
  /// tree is still reachable: nothing keeps pointing into it once the MMU is on. Assumes `fdt` is
  /// the validated tree the walk went over and `rootChildren` was fed by it.
  func commit(_ fdt: FDT, _ rootChildren: FDTRootIndex, image: Range<UInt64>, deviceLimit: UInt64) {
    let chosen = fdt.chosen
    if let chosen, let path = fdt.stdoutPathValue(chosen: chosen), let out = rootChildren.node(path: path, in: fdt) {
      let cells = out.parent.map { (fdt.addressCells($0), fdt.sizeCells($0)) } ?? (2, 1)
      do throws(BoardValueProblem) {
        let shift = try BoardValues.regShift(fdt.u32(out.node, "reg-shift"))
        _ = try BoardValues.regIOWidth(fdt.u32(out.node, "reg-io-width"))
        let reg = try BoardValues.device(fdt.reg(out.node, index: 0, addressCells: cells.0, sizeCells: cells.1),
                                         registers: UART16550.registerBytes(shift: shift), below: deviceLimit)
        Board.uart = UART16550(base: UInt(reg.base), regShift: UInt(shift))
      } catch {
        BoardReport.warn(path, "reg, reg-shift or reg-io-width", error.reason,
                         "console stays on QEMU virt's UART at 0x10000000")
      }
    }
    Board.testDevice = 0
    if let testReg {
      do throws(BoardValueProblem) {
        Board.testDevice = UInt(try BoardValues.device(testReg, registers: 4, below: deviceLimit).base)
      } catch {
        BoardReport.warn(testName, "reg", error.reason, "power-off through SBI SRST")
      }
    }
    do throws(BoardValueProblem) {
      if let memoryProblem { throw memoryProblem }
      let ram = try BoardValues.memory(memory, holding: image)
      Board.ramStart = ram.base
      Board.ramEnd = ram.end
    } catch {
      BoardReport.refuse("/memory", "reg", error.reason)
    }
    if let chosen {
      if let args = fdt.string(chosen, "bootargs") {
        FiberSwitchBench.requested = FDT.words(args, contain: "rumpk.bench=switch")
      }
      if let seed = fdt.property(chosen, "rng-seed") { Entropy.seed(seed) }
    }
    if let cpus, let tb = fdt.u32(cpus, "timebase-frequency"), tb != 0 { Board.timebase = UInt64(tb) }
    if let cpu {
      Board.discoverInterrupts(fdt, cpu: cpu, intc: intc, plic: plic, plicName: plicName, plicReg: plicReg,
                               deviceLimit: deviceLimit)
    }
  }
}
