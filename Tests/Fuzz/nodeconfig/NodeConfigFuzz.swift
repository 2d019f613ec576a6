// libFuzzer target: Rumkv's node configuration (rumkv/Core/NodeConfig.swift) and the cell trees it
// leads to (rumkv/Core/CellTree.swift), on any board tree. Checked promises: a refusal prints at
// least one "rumkv: " line, and the management record that carries that line to rumpkctl
// (rumkv/Core/Management.swift) decodes with rumpkctl's decoder (deploy/StatusLog); an accepted table holds what NodeConfig.read guarantees (1...8 cells,
// valid names, 2 MiB aligned windows in RAM clear of Rumkv, the bundle, the SysTable page and each
// other, CPUs the board has and no CPU shared); each cell's tree is written or refused with an
// FDTError, and a written tree is valid and holds the cell's window as its memory.

import FDT
import RumkvCore
import StatusLog

/// Rumkv's layout on the aarch64 node rumpkctl builds (Rumkv at 0x7000_0000, the SysTable IPA,
/// a bundle at 0x4800_0000).
nonisolated(unsafe) let layout = NodeLayout(rumkv: PhysicalRange(base: 0x7000_0000, size: 0x10_0000)!,
                                            sysTable: PhysicalRange(base: 0x5000_0000, size: 0x1000)!,
                                            bundle: PhysicalRange(base: 0x4800_0000, size: 0x10_0000)!)
nonisolated(unsafe) var printed: [UInt8] = []
@_cdecl("rumkv_fuzz_console") func capture(_ b: UInt8) { printed.append(b) }
nonisolated(unsafe) var records: [[UInt8]] = []
@_cdecl("rumkv_fuzz_management") func captureRecord(_ p: UnsafeRawPointer, _ n: Int) {
  records.append(Array(UnsafeRawBufferPointer(start: p, count: n)))
}

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when NodeConfig or CellTree breaks a documented promise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNodeConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let fdt = try? FDT(UnsafeRawBufferPointer(start: data, count: size)) else { return 0 }
  Console.sink = capture
  printed.removeAll(keepingCapacity: true)
  let board = BoardDescription(fdt)
  let table: CellTable
  do throws(Refusal) {
    table = try NodeConfig.read(board, layout: layout)
  } catch {
    guard error.code == ExitCode.refused, printed.starts(with: "rumkv: ".utf8), printed.last == 10 else {
      fatalError("a refusal without its line: \(String(decoding: printed, as: UTF8.self))")
    }
    checkRefusedRecord()
    return 0
  }
  if !printed.isEmpty { fatalError("an accepted configuration printed: \(String(decoding: printed, as: UTF8.self))") }
  checkTable(table, board)
  for i in 0..<table.count { writeTree(board, table[i]) }
  return 0
}

/// Assumes a refusal was just printed. Writes the "refused" record Rumkv writes then, and traps
/// unless rumpkctl's decoder reads it back with the refusal's line (its first 160 bytes) as detail.
func checkRefusedRecord() {
  records.removeAll(keepingCapacity: true)
  Management.sink = captureRecord
  Management.refused()
  guard records.count == 1, let line = records.first, line.last == 10 else { fatalError("no single refused record") }
  let record: StatusRecord
  do throws(StatusDecodeError) {
    record = try StatusRecordDecoder.decode(line.dropLast()[...])
  } catch {
    fatalError("rumpkctl cannot read the refused record (\(error.message)): \(String(decoding: line, as: UTF8.self))")
  }
  guard record.source == .rumkv, record.event == "refused", let detail = record.string("detail"),
        printed.dropFirst(7).starts(with: detail.utf8.prefix(Console.lineCapacity - 7)) || detail.contains("?") else {
    fatalError("the refused record lost its line: \(record)")
  }
}

/// Assumes `table` came from NodeConfig.read(board, layout:). Traps unless it holds what read
/// guarantees.
func checkTable(_ table: CellTable, _ board: BoardDescription) {
  guard (1...CellTable.capacity).contains(table.count) else { fatalError("\(table.count) cells") }
  for i in 0..<table.count {
    let c = table[i]
    guard c.id == UInt32(i) else { fatalError("cell \(i) has id \(c.id)") }
    for name in [c.name, c.image] {
      guard (1...NodeConfig.maxNameLength).contains(name.count), !name.contains(where: { $0 < 0x21 || $0 > 0x7E }) else {
        fatalError("cell \(i) has an invalid name or image name")
      }
    }
    guard c.window.size != 0, c.window.isAligned(NodeConfig.windowAlignment), board.ramContains(c.window),
          !c.window.overlaps(layout.rumkv), !c.window.overlaps(layout.sysTable), !c.window.overlaps(layout.bundle!) else {
      fatalError("cell \(i) has a window NodeConfig must refuse: \(c.window)")
    }
    guard c.cpus != 0 else { fatalError("cell \(i) has no CPU") }
    for cpu in 0..<64 where c.cpus & (1 << UInt64(cpu)) != 0 && board.cpuNode(UInt64(cpu)) == nil {
      fatalError("cell \(i) owns CPU \(cpu), which the board does not have")
    }
    for j in 0..<i {
      guard !c.window.overlaps(table[j].window), c.cpus & table[j].cpus == 0 else {
        fatalError("cells \(j) and \(i) share a window or a CPU")
      }
    }
  }
}

/// Assumes `cell` came from NodeConfig.read(board, layout:). Writes its tree into the space
/// CellTree reserves, with a /psci node standing for the architecture's; traps unless the result
/// is a valid tree whose /memory is the cell's window.
func writeTree(_ board: BoardDescription, _ cell: Cell) {
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(CellTree.reservedSize), alignment: 8)
  defer { buffer.deallocate() }
  let size: Int
  do throws(FDTError) {
    size = try CellTree.write(into: buffer, board: board, cell: cell) { (w) throws(FDTError) in
      try w.beginNode("psci")
      try w.propertyString("compatible", "arm,psci-1.0")
      try w.propertyString("method", "hvc")
      try w.endNode()
    }
  } catch {
    return
  }
  let tree: FDT
  do throws(FDTError) {
    tree = try FDT(UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
  } catch {
    fatalError("CellTree.write produced an invalid tree: \(error)")
  }
  var memory: [PhysicalRange] = []
  tree.forEachMemoryRegion { address, size in
    memory.append(PhysicalRange(base: address, size: size) ?? PhysicalRange(base: 0, size: 0)!)
    return true
  }
  // A root whose cell counts cannot express the window (0 or 1 cells) is copied from the board as it is.
  let root = board.fdt.root
  guard board.fdt.addressCells(root) == 2, board.fdt.sizeCells(root) == 2 else { return }
  guard memory == [cell.window] else { fatalError("the cell tree's memory \(memory) is not the window \(cell.window)") }
}
