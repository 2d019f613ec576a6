// The ELF64 facts the bundle writer (LoadableImage) and Rumkv's loader (RumkvCore.ELFLoader) both
// rely on: one copy of the sizes, field offsets and numbers, and of the little-endian reads. Every
// read is bounds-checked by the buffer (a read past the end traps in Swift); callers check lengths
// before they read, so no input reaches a trap.

public enum ELFLayout {
  public static let headerSize = 64
  public static let programHeaderSize = 56
  /// More program headers than any image of ours has; a header claiming more is refused.
  public static let maxProgramHeaders = 64
  public static let ptLoad: UInt32 = 1
  public static let machineAArch64: UInt16 = 183
  public static let machineRISCV: UInt16 = 243
  /// e_phoff (u64), e_phentsize (u16), e_phnum (u16).
  public static let programHeaderOffsetField = 32
  public static let programHeaderSizeField = 54
  public static let programHeaderCountField = 56

  /// True when `b` starts with the ELF magic (0x7F "ELF"). Assumes b.count >= 4.
  public static func hasMagic(_ b: UnsafeRawBufferPointer) -> Bool {
    b[0] == 0x7F && b[1] == UInt8(ascii: "E") && b[2] == UInt8(ascii: "L") && b[3] == UInt8(ascii: "F")
  }
}

/// Little-endian reads at byte offsets. Assumes `o` and the bytes after it lie inside `b`.
public enum LittleEndian {
  @inline(__always) public static func u16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
    UInt16(b[o]) | UInt16(b[o + 1]) << 8
  }
  @inline(__always) public static func u32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
    UInt32(u16(b, o)) | UInt32(u16(b, o + 2)) << 16
  }
  @inline(__always) public static func u64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
    UInt64(u32(b, o)) | UInt64(u32(b, o + 4)) << 32
  }
}
