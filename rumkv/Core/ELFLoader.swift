// Loading a cell's ELF64 image into its window: the PT_LOAD segments are copied to their physical
// addresses (p_paddr; IPA = PA) and their bss (p_memsz > p_filesz) zeroed. Every header field comes
// from outside and is checked before use; all segments are validated before the first byte is
// written, so a refused image leaves the window untouched.

import CellBundle

public enum ELFLoader {
  public static let machineAArch64 = ELFLayout.machineAArch64
  public static let machineRISCV = ELFLayout.machineRISCV
  static let ptLoad = ELFLayout.ptLoad
  static let headerSize = ELFLayout.headerSize
  static let programHeaderSize = ELFLayout.programHeaderSize
  static let maxProgramHeaders = ELFLayout.maxProgramHeaders

  public struct Segment {
    public var offset: UInt64
    public var address: UInt64
    public var fileSize: UInt64
    public var memorySize: UInt64
  }

  /// Loads `image` into `memory`. `reserved` (inside the window, e.g. where the cell DTB goes) must
  /// not be touched by any segment. Returns the entry point, which lies inside a loaded segment.
  /// Prints "rumkv: <cell path>: image '<name>' ..." and throws on any problem.
  public static func load(_ image: UnsafeRawBufferPointer, into memory: GuestMemory, machine: UInt16,
                          reserved: PhysicalRange, cell: Cell) throws(Refusal) -> UInt64 {
    let b = image
    guard b.count >= headerSize, ELFLayout.hasMagic(b) else { throw refuse(cell, "is not an ELF file") }
    guard b[4] == 2, b[5] == 1 else { throw refuse(cell, "is not a little-endian ELF64 file") }
    guard le16(b, 16) == 2 else { throw refuse(cell, "is not an executable (ET_EXEC)") }
    guard le16(b, 18) == machine else { throw refuse(cell, "is built for another machine") }
    let entry = le64(b, 24)
    let phoff = le64(b, ELFLayout.programHeaderOffsetField)
    let phentsize = Int(le16(b, ELFLayout.programHeaderSizeField))
    let phnum = Int(le16(b, ELFLayout.programHeaderCountField))
    guard phentsize == programHeaderSize, phnum >= 1, phnum <= maxProgramHeaders,
          phoff <= UInt64(b.count), UInt64(b.count) - phoff >= UInt64(phnum * phentsize)
    else { throw refuse(cell, "has a malformed program header table") }

    // Pass 1: validate every PT_LOAD.
    var entryInside = false
    var loads = 0
    for i in 0..<phnum {
      guard let s = segment(b, Int(phoff) + i * phentsize) else { continue }
      loads += 1
      guard s.fileSize <= s.memorySize,
            s.offset <= UInt64(b.count), UInt64(b.count) - s.offset >= s.fileSize
      else { throw refuseSegment(cell, i, s, "lies outside the image file") }
      guard let target = PhysicalRange(base: s.address, size: s.memorySize),
            memory.window.contains(target)
      else { throw refuseSegment(cell, i, s, "does not fit the window ", window: true) }
      guard !target.overlaps(reserved) else {
        throw refuseSegment(cell, i, s, "overlaps the cell DTB area at the window base")
      }
      if entry >= s.address && entry - s.address < s.memorySize { entryInside = true }
    }
    guard loads > 0 else { throw refuse(cell, "has no PT_LOAD segment") }
    guard entryInside else { throw refuse(cell, "has its entry point outside its segments") }

    // Pass 2: copy and zero.
    for i in 0..<phnum {
      guard let s = segment(b, Int(phoff) + i * phentsize),
            let dst = memory.bytes(at: s.address, count: s.memorySize) else { continue }
      let file = Int(s.fileSize)
      let src = Int(s.offset)
      var j = 0
      while j < file {
        dst[j] = b[src + j]
        j += 1
      }
      while j < dst.count {
        dst[j] = 0
        j += 1
      }
    }
    return entry
  }

  /// The program header at `offset` if it is a PT_LOAD with a non-zero memory size.
  static func segment(_ b: UnsafeRawBufferPointer, _ offset: Int) -> Segment? {
    guard le32(b, offset) == ptLoad else { return nil }
    let s = Segment(offset: le64(b, offset + 8), address: le64(b, offset + 24),
                    fileSize: le64(b, offset + 32), memorySize: le64(b, offset + 40))
    return s.memorySize == 0 ? nil : s
  }

  static func refuse(_ cell: Cell, _ why: StaticString) -> Refusal {
    begin(cell)
    Console.put(why)
    Console.end()
    return Refusal(code: ExitCode.refused)
  }

  static func refuseSegment(_ cell: Cell, _ index: Int, _ s: Segment, _ why: StaticString,
                            window: Bool = false) -> Refusal {
    begin(cell)
    Console.put("segment ")
    Console.dec(UInt64(index))
    Console.put(" at ")
    Console.hex(s.address)
    Console.put(" size ")
    Console.hex(s.memorySize)
    Console.put(" ")
    Console.put(why)
    if window { Report.range(cell.window) }
    Console.end()
    return Refusal(code: ExitCode.refused)
  }

  static func begin(_ cell: Cell) {
    Console.begin()
    cell.path.put()
    Console.put(": image '")
    Console.put(bytes: cell.image)
    Console.put("' ")
  }

  static func le16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { LittleEndian.u16(b, o) }
  static func le32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 { LittleEndian.u32(b, o) }
  static func le64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 { LittleEndian.u64(b, o) }
}
