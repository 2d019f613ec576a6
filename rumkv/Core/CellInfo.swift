// The CellInfo record (docs/decisions/A4-cellinfo.md) that the info hypercall writes into a buffer
// of the calling cell. Little-endian, explicit offsets.

public enum CellInfoLayout {
  public static let magic: UInt32 = 0x4943_4B52  // "RKCI"
  public static let version: UInt16 = 1
  public static let size = 96

  public static let magicOffset = 0x00
  public static let versionOffset = 0x04
  public static let sizeOffset = 0x06
  public static let cellIDOffset = 0x08
  public static let cpuCountOffset = 0x0C
  public static let nameOffset = 0x10
  public static let nameCapacity = 32
  public static let windowBaseOffset = 0x30
  public static let windowSizeOffset = 0x38
  public static let dtbOffset = 0x40
  public static let sysTableOffset = 0x48
  public static let cpuMaskOffset = 0x50
  public static let featuresOffset = 0x58

  /// Feature bits: which Rumkv hypercalls answer (not -EINVAL) for this cell.
  public static let featureConsole: UInt64 = 1 << 0
  public static let featureStatus: UInt64 = 1 << 1
  public static let featureDoorbell: UInt64 = 1 << 2
}

public enum CellInfo {
  /// Writes the record for `cell` into `out` (at least CellInfoLayout.size bytes).
  public static func write(_ cell: Cell, sysTable: UInt64, into out: UnsafeMutableRawBufferPointer) {
    precondition(out.count >= CellInfoLayout.size)
    for i in 0..<CellInfoLayout.size { out[i] = 0 }
    put(out, CellInfoLayout.magicOffset, UInt64(CellInfoLayout.magic), 4)
    put(out, CellInfoLayout.versionOffset, UInt64(CellInfoLayout.version), 2)
    put(out, CellInfoLayout.sizeOffset, UInt64(CellInfoLayout.size), 2)
    put(out, CellInfoLayout.cellIDOffset, UInt64(cell.id), 4)
    put(out, CellInfoLayout.cpuCountOffset, UInt64(cell.cpus.nonzeroBitCount), 4)
    for i in 0..<min(cell.name.count, CellInfoLayout.nameCapacity - 1) {
      out[CellInfoLayout.nameOffset + i] = cell.name[i]
    }
    put(out, CellInfoLayout.windowBaseOffset, cell.window.base, 8)
    put(out, CellInfoLayout.windowSizeOffset, cell.window.size, 8)
    put(out, CellInfoLayout.dtbOffset, cell.dtb, 8)
    put(out, CellInfoLayout.sysTableOffset, sysTable, 8)
    put(out, CellInfoLayout.cpuMaskOffset, cell.cpus, 8)
    put(out, CellInfoLayout.featuresOffset, CellInfoLayout.featureConsole | CellInfoLayout.featureStatus, 8)
  }

  static func put(_ b: UnsafeMutableRawBufferPointer, _ o: Int, _ v: UInt64, _ n: Int) {
    for i in 0..<n { b[o + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) }
  }
}
