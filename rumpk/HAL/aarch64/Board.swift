// What the aarch64 cell learns about its machine from the device tree: console UART, RAM, the PSCI
// conduit, the GICv3 and the virtual timer's interrupt. Nothing here is a build flag: the same image
// runs directly under QEMU and as a Rumkv cell.

import FDT
import RumpkKernel

enum PSCIConduit { case hvc, smc }

struct Board {
  nonisolated(unsafe) static var uart = PL011(base: PL011.fallbackBase)
  nonisolated(unsafe) static var psci: PSCIConduit = .hvc
  nonisolated(unsafe) static var ramStart: UInt64 = 0x4000_0000
  nonisolated(unsafe) static var ramEnd: UInt64 = 0x4800_0000
  nonisolated(unsafe) static var dtbAddress: UInt = 0
  /// The tree's totalsize (0: no tree used).
  nonisolated(unsafe) static var treeSize: UInt64 = 0
  /// GICv3 distributor and the first redistributor region (0: the cell owns no interrupt controller,
  /// as under Rumkv today; waits then poll the counter). Stride 0: frames are 128 or 256 KiB as
  /// GICR_TYPER.VLPIS says.
  nonisolated(unsafe) static var gicDistributor: UInt = 0
  nonisolated(unsafe) static var gicRedistributors: UInt = 0
  nonisolated(unsafe) static var gicRedistributorsEnd: UInt = 0
  nonisolated(unsafe) static var gicRedistributorStride: UInt = 0
  /// The EL1 virtual timer's interrupt: PPI 11 by the Arm BSA, as the /timer node confirms.
  nonisolated(unsafe) static var timerINTID: UInt32 = 27

  /// QEMU loads an ELF without passing the DTB; it puts it at the start of RAM instead.
  static let ramStartFallback: UInt = 0x4000_0000

  /// Reads the device tree at `candidate` (x0), or at the RAM-start fallback when there is no FDT
  /// magic at `candidate`. `image` is the running image's load range, `deviceLimit` the end of the
  /// physical range devices are reached in (MMU.device). Returns false, changing nothing, when
  /// neither place holds a tree: the QEMU virt fallbacks stay. A tree that is there but over
  /// BoardValues.treeSizeLimit or malformed, or whose /memory does not hold the image, stops the
  /// cell (BoardReport). Guarantees otherwise: every board static is its fallback or a value that
  /// passed its check (docs/decisions/K10-board-values.md), set only once the tree validated to
  /// its end.
  static func discover(candidate: UInt, image: Range<UInt64>, deviceLimit: UInt64) -> Bool {
    func magic(_ address: UInt) -> UInt32? {
      guard let p = UnsafeRawPointer(bitPattern: address) else { return nil }
      return BoardValues.claimedTreeSize(at: p)
    }
    dtbAddress = magic(candidate) != nil ? candidate : ramStartFallback
    guard let claimed = magic(dtbAddress) else { return false }
    guard claimed <= BoardValues.treeSizeLimit else {
      BoardReport.refuseTree(at: UInt64(dtbAddress), "too large", totalSize: UInt64(claimed),
                             limit: UInt64(BoardValues.treeSizeLimit))
    }
    let kinds = FDTNameSet("arm,pl011\0arm,gic-v3\0arm,armv8-timer\0virtio,mmio\0")  // bits: Discovery.pl011 etc.
    var found = Discovery()
    var rootChildren = FDTRootIndex()  // /chosen comes last in QEMU's tree: stdout-path is resolved after
    // Every virtio-mmio transport, for the status port: a list of its own, not a field of Discovery,
    // which the walk passes around on every node (a bigger Discovery cost 2.5 k instructions a boot).
    var virtio = VirtioTransportList()
    let fdt: FDT
    do throws(FDTError) {
      fdt = try FDT.at(UnsafeRawPointer(bitPattern: dtbAddress)!, maxSize: BoardValues.treeSizeLimit) { fdt, n in
        rootChildren.visit(n)
        let matched = kinds.matches(n.compatible ?? UnsafeRawBufferPointer(start: nil, count: 0))
        if matched & Discovery.virtio != 0 { virtio.append(fdt.reg(n, index: 0)) }
        found.visit(fdt, n, matched)
        return true
      }
    } catch {
      BoardReport.refuseTree(at: UInt64(dtbAddress), error.reason)
    }
    treeSize = UInt64(fdt.totalSize)
    found.commit(fdt, rootChildren, image: image, deviceLimit: deviceLimit)
    VirtioTransports.board = virtio
    return true
  }
}

/// What one validating walk over the tree (FDT.at(_:maxSize:walk:)) learns, kept aside until the
/// tree has validated to its end. A lookup per path or compatible string was a walk of its own,
/// and the validation another pass (docs/decisions/K6-el0-npls.md, boot cost).
struct Discovery {
  /// The device kinds: the bits of the names discover's FDTNameSet matches.
  static let pl011: UInt32 = 1, gicV3: UInt32 = 2, timer: UInt32 = 4, virtio: UInt32 = 8
  var seen: UInt32 = 0
  var memory: (address: UInt64, size: UInt64)? = nil, memoryDone = false
  var memoryProblem: BoardValueProblem? = .missing
  /// /psci method: nil when there is no /psci node; .hvc or .smc; psciBadMethod when it is neither.
  var psci: PSCIConduit? = nil, psciBadMethod = false
  var pl011Reg: (address: UInt64, size: UInt64)? = nil
  var pl011Name = UnsafeRawBufferPointer(start: nil, count: 0)
  var gicName = UnsafeRawBufferPointer(start: nil, count: 0)
  var gicDistributor: (address: UInt64, size: UInt64)? = nil, gicRedistributors: (address: UInt64, size: UInt64)? = nil
  var gicStride: UInt64 = 0
  var timerINTID: UInt32? = nil

  /// Takes what it needs from `n`, a node of the walk over `fdt` whose compatible has the kinds
  /// `matched` (Discovery.pl011 etc.). The first node of each kind counts (virtio-mmio transports
  /// are listed by discover itself).
  mutating func visit(_ fdt: FDT, _ n: FDTWalkNode, _ matched: UInt32) {
    if n.depth == 1 {  // node(path: "/psci") etc.: the first child of the root with that name
      if psci == nil && !psciBadMethod && FDT.nameMatches(n.name, component: "psci") {
        if fdt.stringEquals(n, "method", "smc") {
          psci = .smc
        } else if fdt.stringEquals(n, "method", "hvc") {
          psci = .hvc
        } else {
          psciBadMethod = true
        }
      }
      if !memoryDone && FDT.nameMatches(n.name, component: "memory") {
        memoryDone = true
        memory = fdt.reg(n, index: 0)
        memoryProblem = fdt.regProblem(n, index: 0)
      }
    }
    let kind = matched & ~seen
    if kind == 0 { return }
    seen |= kind
    if kind & Discovery.pl011 != 0 {
      pl011Reg = fdt.reg(n, index: 0)
      pl011Name = n.name
    }
    if kind & Discovery.gicV3 != 0 {
      gicName = n.name
      gicDistributor = fdt.reg(n, index: 0)
      gicRedistributors = fdt.reg(n, index: 1)
      gicStride = fdt.u64(n, "redistributor-stride") ?? 0
    }
    // interrupts = <type number flags> x4: secure, non-secure, virtual, hypervisor; type 1 = PPI.
    if kind & Discovery.timer != 0, fdt.cell(n, "interrupts", index: 6) == 1,
      let ppi = fdt.cell(n, "interrupts", index: 7), ppi < 16 {
      timerINTID = 16 + ppi
    }
  }

  /// Sets the board from what the walk found and from /chosen, each value checked first
  /// (docs/decisions/K10-board-values.md): the console is the node stdout-path names, else the
  /// first PL011, set first so later lines reach it; then /memory, which refuses the cell unless it
  /// holds `image`. The rng-seed is mixed into the CSPRNG here, while the tree is surely mapped:
  /// nothing keeps pointing into it. Assumes `fdt` is the validated tree the walk went over and
  /// `rootChildren` was fed by it.
  func commit(_ fdt: FDT, _ rootChildren: FDTRootIndex, image: Range<UInt64>, deviceLimit: UInt64) {
    var console = pl011Reg
    var consoleName = pl011Name
    let chosen = fdt.chosen
    if let chosen, let path = fdt.stdoutPathValue(chosen: chosen), let out = rootChildren.node(path: path, in: fdt) {
      let cells = out.parent.map { (fdt.addressCells($0), fdt.sizeCells($0)) } ?? (2, 1)
      console = fdt.reg(out.node, index: 0, addressCells: cells.0, sizeCells: cells.1)
      consoleName = path
    }
    if console != nil || consoleName.count > 0 {
      do throws(BoardValueProblem) {
        let reg = try BoardValues.device(console, registers: PL011.registerBytes, below: deviceLimit)
        Board.uart = PL011(base: UInt(reg.base))
      } catch {
        BoardReport.warn(consoleName, "reg", error.reason, "console stays on QEMU virt's UART at 0x9000000")
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
    if gicDistributor != nil || gicRedistributors != nil {
      do throws(BoardValueProblem) {
        let d = try BoardValues.device(gicDistributor, registers: GIC.distributorBytes, below: deviceLimit)
        let r = try BoardValues.device(gicRedistributors, registers: GIC.frameBytes, below: deviceLimit)
        guard gicStride == 0 || (gicStride >= GIC.frameBytes && gicStride % 0x1_0000 == 0) else { throw .outOfRange }
        Board.gicDistributor = UInt(d.base)
        Board.gicRedistributors = UInt(r.base)
        Board.gicRedistributorsEnd = UInt(r.end)
        Board.gicRedistributorStride = UInt(gicStride)
      } catch {
        BoardReport.warn(gicName, "reg or redistributor-stride", error.reason, "no interrupt controller (waits poll)")
      }
    }
    if let timerINTID { Board.timerINTID = timerINTID }
    if psciBadMethod {
      BoardReport.warn("/psci", "method", "neither \"hvc\" nor \"smc\"", "keeping the conduit the entry level implies")
    } else if psci == .smc {
      Board.psci = .smc
    }
    if let chosen {
      if let args = fdt.string(chosen, "bootargs") {
        FiberSwitchBench.requested = FDT.words(args, contain: "rumpk.bench=switch")
      }
      if let seed = fdt.property(chosen, "rng-seed") { Entropy.seed(seed) }
    }
  }
}
