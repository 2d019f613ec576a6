// libFuzzer target: boot-time discovery as Rumkv does it (rumkv/Core/BoardTree.swift): the board
// tree copied out of guest-writable RAM into Rumkv's own buffer, shrunk and validated, then read for
// the console UART, /chosen and the CPUs and RAM. Checked promises: a copy never leaves the buffer,
// a tree the reader accepts is still accepted after the copy (Rumkv must not refuse a good board),
// with the same nodes, and the Board it yields names ranges that do not wrap.
// The kernel's own discovery (rumpk/HAL/<arch>/Board.swift) is arch code; see ../README.md.

import FDT
import RumkvCore

/// The buffer Rumkv copies the tree into (its page pool holds 64 KiB for it on aarch64).
let copyCapacity = 64 << 10

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when BoardTree or Board breaks a documented promise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBoardTree(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  // BoardTree.copy assumes 40 readable header bytes; the rest it reads only up to maxSource.
  guard let data, size >= FDTHeader.size else { return 0 }
  let source = UnsafeRawBufferPointer(start: data, count: size)
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: copyCapacity, alignment: 8)
  defer { buffer.deallocate() }
  let original = try? FDT(source)
  guard let copy = BoardTree.copy(from: data, maxSource: size, into: buffer) else {
    if let original, original.totalSize <= copyCapacity {
      fatalError("BoardTree.copy refused a tree the reader accepts")
    }
    return 0
  }
  guard let base = copy.bytes.baseAddress, base == UnsafeRawPointer(buffer.baseAddress!),
        copy.totalSize <= buffer.count else { fatalError("the copy does not lie in the buffer") }
  if let original, nodeCount(original) != nodeCount(copy) { fatalError("the copy lost nodes") }
  discover(Board(copy))
  return 0
}

func nodeCount(_ fdt: FDT) -> Int {
  var n = 0
  fdt.forEachNode { _, _ in n += 1; return true }
  return n
}

/// Assumes `board` was made from a validated tree. Reads everything Rumkv reads at boot.
func discover(_ board: Board) {
  if let uart = board.uart, uart.base.addingReportingOverflow(uart.size).overflow { fatalError("UART range wraps") }
  if let initrd = board.initrd {
    guard let i = board.fdt.initrd, initrd.base == i.start, initrd.end == i.end else { fatalError("initrd differs from /chosen") }
  }
  if board.uart != nil && board.uartNode == nil { fatalError("a UART range without its node") }
  var cpus = 0
  for mpidr in UInt64(0)..<8 where board.cpuNode(mpidr) != nil { cpus += 1 }
  _ = board.cpuNode(UInt64.max)
  for range in [(UInt64(0x4000_0000), UInt64(0x20_0000)), (0, 1), (UInt64.max - 1, 1), (0x4000_0000, 0x4000_0000)] {
    if let r = PhysicalRange(base: range.0, size: range.1) { _ = board.ramContains(r) }
  }
  if cpus > 8 { fatalError("impossible discovery result") }
}
