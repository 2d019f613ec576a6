// Rumkv on aarch64, from boot.S to the first cell instruction: take the board tree into Rumkv's
// memory, read the node configuration, load the cells (portable, RumkvCore.Node), build stage 2,
// and ERET into the cell at EL1.

import FDT
import RumkvCore
import RumkvSysreg

/// Node-wide state the trap handlers need.
enum Machine {
  /// The cell running on this CPU.
  nonisolated(unsafe) static var running = Cell()
  /// The IPA of the SysTable page in every cell (DESIGN §3.1, aarch64).
  static let sysTableIPA: UInt64 = 0x5000_0000
  /// Where QEMU puts the board tree for an ELF image (start of RAM) when x0 holds none.
  static let boardTreeFallback: UInt = 0x4000_0000
  static let boardTreePages = 16
  /// CNTPCT_EL0 at Rumkv's first instruction.
  nonisolated(unsafe) static var bootCount: UInt64 = 0

  /// Prints the counter ticks since Rumkv's first instruction. Under -icount shift=0 one
  /// instruction is 1 ns of virtual time, so ticks * 10^9 / CNTFRQ counts instructions.
  static func reportTicks(_ what: StaticString) {
    let ticks = read_cntpct_el0() &- bootCount
    let freq = max(read_cntfrq_el0(), 1)
    Console.begin()
    Console.put(what)
    Console.put(": ")
    Console.dec(ticks)
    Console.put(" counter ticks at ")
    Console.dec(freq)
    Console.put(" Hz (")
    Console.dec(ticks &* 1_000_000_000 / freq)
    Console.put(" ns)")
    Console.end()
  }

  static func reportRunTime() { reportTicks("node ran") }
}

@_cdecl("rumkv_main")
func rumkvMain(_ loaderX0: UInt, _ bootCount: UInt64, _ enteredAt: UInt64) -> Never {
  Machine.bootCount = bootCount
  Console.sink = uartPut
  guard enteredAt == 2 else {
    Console.begin()
    Console.put("entered at EL")
    Console.dec(enteredAt)
    Console.put(", not EL2: start QEMU with -machine virt,virtualization=on")
    Console.end()
    while true { rumkv_wfi() }
  }
  do throws(Refusal) {
    try boot(loaderX0)
  } catch {
    Management.refused()
    Power.off(code: error.code)
  }
}

/// Everything up to entering the cell; throws after printing why it refuses.
func boot(_ loaderX0: UInt) throws(Refusal) -> Never {
  let image = PhysicalRange(base: UInt64(rumkv_image_start()), size: UInt64(rumkv_image_end() - rumkv_image_start()))!
  var pool = PagePool(region: PhysicalRange(base: UInt64(rumkv_pool_start()),
                                            size: UInt64(rumkv_pool_end() - rumkv_pool_start()))!)

  // 1. The board tree, copied before anything can overwrite it.
  let treeBuffer = pool.allocate(pages: Machine.boardTreePages)!
  var fdt: FDT? = nil
  var treeAddress: UInt = 0
  // x0 first, then QEMU's place for an ELF; an address with no FDT magic is skipped, a tree that is
  // there but refused stops Rumkv with the reason (never "no tree").
  var refused: (address: UInt, problem: BoardTreeProblem)? = nil
  func take(_ address: UInt) {
    guard fdt == nil, refused == nil, address != 0 else { return }
    do throws(BoardTreeProblem) {
      fdt = try BoardTree.copy(from: UnsafeRawPointer(bitPattern: address)!, into: treeBuffer)
      treeAddress = address
    } catch {
      if error != .absent { refused = (address, error) }
    }
  }
  take(loaderX0)
  take(Machine.boardTreeFallback)
  Console.begin()
  Console.put("aarch64 EL2, image ")
  Report.range(image)
  Console.put(", MPIDR ")
  Console.hex(read_mpidr_el1())
  Console.end()
  if let refused {
    Console.begin()
    Console.put("board device tree at ")
    Console.hex(UInt64(refused.address))
    Console.put(" ")
    BoardTree.describe(refused.problem)
    Console.end()
    throw Refusal(code: ExitCode.refused)
  }
  guard let fdt else {
    Console.begin()
    Console.put("no board device tree in x0 (")
    Console.hex(UInt64(loaderX0))
    Console.put(") or at ")
    Console.hex(UInt64(Machine.boardTreeFallback))
    Console.end()
    throw Refusal(code: ExitCode.refused)
  }
  let board = BoardDescription(fdt)
  if let uart = board.uart { UART.base = UInt(uart.base) }
  if let problem = board.uartProblem {
    Console.begin()
    Console.put(bytes: board.uartName)
    Console.put(" reg: ")
    Console.put(problem.reason)
    Console.put("; console stays on QEMU virt's UART at 0x9000000")
    Console.end()
  }
  ManagementPort.start(fdt, pool: &pool)
  Management.boot()
  Console.begin()
  Console.put("board DTB at ")
  Console.hex(UInt64(treeAddress))
  Console.put(loaderX0 == treeAddress ? " (from x0), " : " (start of RAM), ")
  Console.dec(UInt64(fdt.totalSize))
  Console.put(" bytes used, copied to ")
  Console.hex(UInt64(UInt(bitPattern: treeBuffer.baseAddress)))
  Console.end()
  if let initrd = board.initrd {
    Console.begin()
    Console.put("bundle (initrd) at ")
    Report.range(initrd)
    Console.end()
  }

  // 2. Configuration, bundle, images and cell trees (portable).
  let layout = NodeLayout(rumkv: image, sysTable: PhysicalRange(base: Machine.sysTableIPA, size: Stage2.page)!,
                          bundle: board.initrd)
  var bundle: UnsafeRawBufferPointer? = nil
  if let initrd = board.initrd, !board.ramContains(initrd) {
    Console.begin()
    Console.put("/chosen: property 'linux,initrd-start' malformed: the bundle ")
    Report.range(initrd)
    Console.put(" lies outside the board's RAM")
    Console.end()
    throw Refusal(code: ExitCode.refused)
  }
  if let initrd = board.initrd {
    bundle = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(initrd.base)), count: Int(initrd.size))
  }
  let table = try Node.prepare(board: board, layout: layout, bundle: bundle, machine: ELFLoader.machineAArch64,
                               memory: GuestMemory.identity, archTree: addArchNodes)
  guard table.count == 1 else {
    Console.begin()
    Console.put("/rumkv: ")
    Console.dec(UInt64(table.count))
    Console.put(" cells configured; this Rumkv runs one cell per node (secondary CPUs come later)")
    Console.end()
    throw Refusal(code: ExitCode.refused)
  }
  var cell = table[0]
  let bootCPU = read_mpidr_el1() & 0xFF
  guard cell.cpus & (1 << bootCPU) != 0 else {
    Report.property(cell.path, "cpus")
    Console.put("malformed: must include the boot CPU ")
    Console.dec(bootCPU)
    Console.put(" (secondary CPUs come later)")
    Console.end()
    throw Refusal(code: ExitCode.refused)
  }

  // 3. Stage 2: the window (IPA = PA), the SysTable page, the console UART if the cell owns it.
  guard let stage2 = Stage2(pool: &pool), let sysTable = pool.allocate(pages: 1) else { throw outOfPages(cell) }
  cell.sysTablePage = UInt64(UInt(bitPattern: sysTable.baseAddress))
  var mapped = stage2.map(ipa: cell.window.base, pa: cell.window.base, size: cell.window.size,
                          attributes: Stage2.normal, pool: &pool)
  mapped = mapped && stage2.map(ipa: Machine.sysTableIPA, pa: cell.sysTablePage, size: Stage2.page,
                                attributes: Stage2.normalNoExec, pool: &pool)
  if cell.devices.contains(.uart), let uart = board.uart {
    let base = uart.base & ~(Stage2.page - 1)
    let size = (uart.end - base + Stage2.page - 1) & ~(Stage2.page - 1)
    mapped = mapped && stage2.map(ipa: base, pa: base, size: size, attributes: Stage2.device, pool: &pool)
  }
  guard mapped else { throw outOfPages(cell) }

  cell.begin()
  Console.put("window ")
  Report.range(cell.window)
  Console.put(", entry ")
  Console.hex(cell.entry)
  Console.put(", DTB ")
  Console.hex(cell.dtb)
  Console.put(", SysTable IPA ")
  Console.hex(Machine.sysTableIPA)
  Console.put(" -> ")
  Console.hex(cell.sysTablePage)
  Console.put(", VMID ")
  Console.dec(UInt64(cell.id + 1))
  Console.end()

  // 4. Enter the cell.
  Machine.running = cell
  Management.cell(cell, "entered")
  CellContext.load(cell, root: stage2.root)
  Machine.reportTicks("boot to cell entry")
  rumkv_enter_cell(cell.entry, cell.dtb, UInt64(rumkv_stack_top()))
}

func outOfPages(_ cell: Cell) -> Refusal {
  cell.begin()
  Console.put("stage-2 tables do not fit Rumkv's page pool")
  Console.end()
  return Refusal(code: ExitCode.refused)
}

/// The aarch64 nodes of a cell tree: PSCI through hvc (Rumkv answers it) and the architected timer,
/// copied from the board (its PPIs need no interrupt controller in the tree to be harmless).
func addArchNodes(_ w: inout FDTWriter, _ board: BoardDescription, _ cell: Cell) throws(FDTError) {
  try w.beginNode("psci")
  try w.propertyString("compatible", "arm,psci-1.0")
  try w.propertyString("method", "hvc")
  try w.endNode()
  if let timer = board.fdt.firstCompatible("arm,armv8-timer") {
    try w.copySubtree(from: board.fdt, node: timer)
  }
}
