// libFuzzer target: boot-time discovery as Rumkv does it (rumkv/Core/BoardTree.swift): the board
// tree copied out of guest-writable RAM into Rumkv's own buffer, shrunk and validated, then read for
// the console UART, /chosen and the CPUs and RAM. Checked promises: a copy never leaves the buffer,
// a tree the reader accepts is still accepted after the copy (Rumkv must not refuse a good board),
// with the same nodes, and the BoardDescription it yields names ranges that do not wrap.
// The kernel's own discovery (rumpk/HAL/<arch>/Board.swift) is arch code; see ../README.md.

import FDT
import RumkvCore

/// The buffer Rumkv copies the tree into (its page pool holds 64 KiB for it on aarch64).
let copyCapacity = 64 << 10

/// Guest RAM as BoardTree.copy may read it: treeSizeLimit readable bytes, the input at the start,
/// zeros after it (cleared again after each input, so no run sees the bytes of the one before).
nonisolated(unsafe) let ram = UnsafeMutableRawBufferPointer.allocate(byteCount: BoardValues.treeSizeLimit, alignment: 8)
nonisolated(unsafe) var ramInitialised = false

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when BoardTree or BoardDescription breaks a documented promise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBoardTree(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data, size >= FDTHeader.size, size <= ram.count else { return 0 }
  if !ramInitialised {
    ram.initializeMemory(as: UInt8.self, repeating: 0)
    ramInitialised = true
  }
  UnsafeMutableRawBufferPointer(rebasing: ram[0..<size]).copyMemory(from: UnsafeRawBufferPointer(start: data, count: size))
  defer { UnsafeMutableRawBufferPointer(rebasing: ram[0..<size]).initializeMemory(as: UInt8.self, repeating: 0) }
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: copyCapacity, alignment: 8)
  defer { buffer.deallocate() }
  let original = try? FDT(UnsafeRawBufferPointer(start: data, count: size))
  let copy: FDT
  do throws(BoardTreeProblem) {
    copy = try BoardTree.copy(from: UnsafeRawPointer(ram.baseAddress!), into: buffer)
  } catch {
    if let original, original.totalSize <= copyCapacity {
      fatalError("BoardTree.copy refused a tree the reader accepts: \(error)")
    }
    return 0
  }
  guard let base = copy.bytes.baseAddress, base == UnsafeRawPointer(buffer.baseAddress!),
        copy.totalSize <= buffer.count else { fatalError("the copy does not lie in the buffer") }
  if let original, nodeCount(original) != nodeCount(copy) { fatalError("the copy lost nodes") }
  discover(BoardDescription(copy))
  return 0
}

func nodeCount(_ fdt: FDT) -> Int {
  var n = 0
  fdt.forEachNode { _, _ in n += 1; return true }
  return n
}

/// Assumes `board` was made from a validated tree. Reads everything Rumkv reads at boot.
func discover(_ board: BoardDescription) {
  if let uart = board.uart {
    guard uart.base != 0, uart.size >= BoardDescription.uartRegisterBytes, !uart.base.addingReportingOverflow(uart.size).overflow,
          uart.end <= BoardDescription.deviceLimit, board.uartProblem == nil else { fatalError("BoardDescription took a UART BoardValues refuses: \(uart)") }
  }
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
