// The board's device tree, as QEMU (or firmware) left it in RAM, taken into Rumkv's own memory before
// anything can overwrite it: the cell windows may start at the bottom of RAM where the tree lies.
// Only the used part is copied (QEMU's tree has a 1 MiB totalsize but about 10 KiB of content), and
// the copy is validated, so a tree changed behind Rumkv's back cannot matter.

import FDT

/// Why the board tree at an address is not used.
public enum BoardTreeProblem: Error, Equatable {
  /// No FDT magic there: no tree.
  case absent
  /// The header's totalsize is over BoardValues.treeSizeLimit.
  case tooLarge(totalSize: UInt32)
  /// The used part (header to the end of its last block) does not fit Rumkv's copy buffer.
  case tooLargeToCopy(used: Int)
  /// The header or the structure does not validate.
  case malformed(FDTError)
}

public enum BoardTree {
  /// Copies the blob at `address` into `buffer`, shrinking its totalsize to the end of its last
  /// block, and validates the copy. Assumes `address` is readable for the header (40 bytes) and for
  /// the blocks the header names, up to BoardValues.treeSizeLimit bytes. Throws .absent when there is
  /// no FDT magic, otherwise the reason the tree there is refused; every size and offset from the
  /// header is checked before it is added or read.
  public static func copy(from address: UnsafeRawPointer,
                          into buffer: UnsafeMutableRawBufferPointer) throws(BoardTreeProblem) -> FDT {
    guard let claimed = BoardValues.claimedTreeSize(at: address) else { throw .absent }
    guard claimed <= BoardValues.treeSizeLimit else { throw .tooLarge(totalSize: claimed) }
    let total = Int(claimed)
    guard total >= FDTHeader.size else { throw .malformed(.truncated) }
    let head = UnsafeRawBufferPointer(start: address, count: FDTHeader.size)
    // Each offset and size is at most 2^32 - 1: their sums cannot overflow Int on a 64-bit host.
    let structEnd = Int(be32(head, 8)) + Int(be32(head, 36))
    let stringsEnd = Int(be32(head, 12)) + Int(be32(head, 32))
    let reservations = Int(be32(head, 16))
    guard reservations >= FDTHeader.size, reservations < total, structEnd <= total, stringsEnd <= total else {
      throw .malformed(.badOffset)
    }
    // The reservation block ends with an all-zero entry; stop at it or at totalsize.
    var reservationsEnd = reservations
    let source = UnsafeRawBufferPointer(start: address, count: total)
    while reservationsEnd + 16 <= total {
      var zero = true
      for i in 0..<16 where source[reservationsEnd + i] != 0 { zero = false }
      reservationsEnd += 16
      if zero { break }
    }
    let used = max(max(structEnd, stringsEnd), reservationsEnd)
    guard used <= buffer.count else { throw .tooLargeToCopy(used: used) }
    for i in 0..<used { buffer[i] = source[i] }
    buffer[4] = UInt8(truncatingIfNeeded: used >> 24)
    buffer[5] = UInt8(truncatingIfNeeded: used >> 16)
    buffer[6] = UInt8(truncatingIfNeeded: used >> 8)
    buffer[7] = UInt8(truncatingIfNeeded: used)
    do throws(FDTError) {
      return try FDT(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
    } catch {
      throw .malformed(error)
    }
  }

  /// Prints what `problem` says about the tree at `address`, after "rumkv: board device tree at
  /// <address> ": why it is refused.
  public static func describe(_ problem: BoardTreeProblem) {
    switch problem {
    case .absent: Console.put("is absent (no FDT magic)")
    case .tooLarge(let total):
      Console.put("is too large: totalsize ")
      Console.dec(UInt64(total))
      Console.put(" bytes, limit ")
      Console.dec(UInt64(BoardValues.treeSizeLimit))
    case .tooLargeToCopy(let used):
      Console.put("is too large to copy: ")
      Console.dec(UInt64(used))
      Console.put(" bytes used")
    case .malformed(let error):
      Console.put("is malformed: ")
      Console.put(error.reason)
    }
  }

  static func be32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
    UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
  }
}

/// What Rumkv takes from the board tree besides /rumkv: a description of the board it runs on.
public struct BoardDescription {
  public let fdt: FDT
  /// The console UART: the node /chosen/stdout-path names (else the first PL011), and its first reg
  /// entry once it passed BoardValues.device (PL011 registers, below deviceLimit). A UART whose reg
  /// fails leaves both nil and the problem in uartProblem: Rumkv keeps its fallback console and no
  /// cell can own the UART.
  public let uartNode: FDTNode?
  public let uart: PhysicalRange?
  public let uartProblem: BoardValueProblem?
  /// The node uartProblem is about (empty when none).
  public let uartName: UnsafeRawBufferPointer
  /// Devices lie in the 32-bit physical range every Armv8 core implements (Rumkv runs with the
  /// EL2 MMU off: a larger address may not exist). The PL011's data and flag registers: 0x1C bytes.
  public static let deviceLimit: UInt64 = 1 << 32
  public static let uartRegisterBytes: UInt64 = 0x1C
  /// /chosen linux,initrd-start / -end: the cell bundle (nil when absent or end < start; Main
  /// checks it lies in RAM before reading it).
  public let initrd: PhysicalRange?

  public init(_ fdt: FDT) {
    self.fdt = fdt
    var uartNode = fdt.stdoutPath
    if uartNode == nil { uartNode = fdt.firstCompatible("arm,pl011") }
    var uart: PhysicalRange? = nil
    var uartProblem: BoardValueProblem? = nil
    if let n = uartNode {
      do throws(BoardValueProblem) {
        let r = try BoardValues.device(fdt.reg(n, index: 0), registers: BoardDescription.uartRegisterBytes, below: BoardDescription.deviceLimit)
        uart = PhysicalRange(base: r.base, size: r.size)
      } catch {
        uartProblem = error
      }
    }
    self.uartName = uartNode.map { fdt.name(of: $0) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
    self.uartNode = uart != nil ? uartNode : nil
    self.uart = uart
    self.uartProblem = uartProblem
    if let i = fdt.initrd {
      initrd = PhysicalRange(base: i.start, size: i.end - i.start)
    } else {
      initrd = nil
    }
  }

  /// True when `range` lies inside one memory region of the board (device_type "memory").
  public func ramContains(_ range: PhysicalRange) -> Bool {
    var inside = false
    fdt.forEachMemoryRegion { address, size in
      if let region = PhysicalRange(base: address, size: size), region.contains(range) { inside = true }
      return !inside
    }
    return inside
  }

  /// The /cpus/cpu@N node whose reg is `mpidr` (Aff0 for QEMU virt), if the board has that CPU.
  public func cpuNode(_ mpidr: UInt64) -> FDTNode? {
    guard let cpus = fdt.node(path: "/cpus") else { return nil }
    let ac = fdt.addressCells(cpus)
    var found: FDTNode? = nil
    fdt.forEachChild(of: cpus) { n in
      if fdt.stringEquals(n, "device_type", "cpu"),
         let r = fdt.reg(n, index: 0, addressCells: ac, sizeCells: 0), r.address == mpidr {
        found = n
      }
      return found == nil
    }
    return found
  }
}
