// The board's device tree, as QEMU (or firmware) left it in RAM, taken into Rumkv's own memory before
// anything can overwrite it: the cell windows may start at the bottom of RAM where the tree lies.
// Only the used part is copied (QEMU's tree has a 1 MiB totalsize but about 10 KiB of content), and
// the copy is validated, so a tree changed behind Rumkv's back cannot matter.

import FDT

public enum BoardTree {
  /// Copies the blob at `address` into `buffer`, shrinking its totalsize to the end of its last
  /// block, and validates the copy. Assumes `address` is readable for the header (40 bytes) and for
  /// the blocks the header names, up to `maxSource` bytes. Returns nil when there is no valid tree
  /// there or it does not fit `buffer`.
  public static func copy(from address: UnsafeRawPointer, maxSource: Int,
                          into buffer: UnsafeMutableRawBufferPointer) -> FDT? {
    let head = UnsafeRawBufferPointer(start: address, count: 40)
    guard be32(head, 0) == FDTHeader.magic else { return nil }
    let total = Int(be32(head, 4))
    let structEnd = Int(be32(head, 8)) + Int(be32(head, 36))
    let stringsEnd = Int(be32(head, 12)) + Int(be32(head, 32))
    let reservations = Int(be32(head, 16))
    guard total <= maxSource, reservations >= 40, reservations < total else { return nil }
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
    guard used <= total, used <= buffer.count else { return nil }
    for i in 0..<used { buffer[i] = source[i] }
    buffer[4] = UInt8(truncatingIfNeeded: used >> 24)
    buffer[5] = UInt8(truncatingIfNeeded: used >> 16)
    buffer[6] = UInt8(truncatingIfNeeded: used >> 8)
    buffer[7] = UInt8(truncatingIfNeeded: used)
    do throws(FDTError) {
      return try FDT(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
    } catch {
      return nil
    }
  }

  static func be32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
    UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
  }
}

/// What Rumkv takes from the board tree besides /rumkv.
public struct Board {
  public let fdt: FDT
  /// The console UART: the node /chosen/stdout-path names, and its first reg entry.
  public let uartNode: FDTNode?
  public let uart: PhysicalRange?
  /// /chosen linux,initrd-start / -end: the cell bundle.
  public let initrd: PhysicalRange?

  public init(_ fdt: FDT) {
    self.fdt = fdt
    var uartNode = fdt.stdoutPath
    if uartNode == nil { uartNode = fdt.firstCompatible("arm,pl011") }
    self.uartNode = uartNode
    if let n = uartNode, let r = fdt.reg(n, index: 0) {
      uart = PhysicalRange(base: r.address, size: r.size)
    } else {
      uart = nil
    }
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
