// What of a cell's ELF goes into a bundle: the ELF header, its PT_LOAD program headers and their
// file bytes, nothing else. Section headers, the symbol table and the padding between segments are
// for debuggers, and Rumkv checksums and copies every byte of a bundle (CRC-32 ~10 instructions a
// byte under -icount): the hello cell's 111 KB file bundles as 54 KB. Rumkv's ELF loader reads
// only the program headers, so what it loads is byte for byte what it loaded from the full file.
// No heap; usable on the host (rumpkctl) and in Embedded code.

public enum LoadableImage {
  static let headerSize = ELFLayout.headerSize
  static let programHeaderSize = ELFLayout.programHeaderSize
  static let maxProgramHeaders = ELFLayout.maxProgramHeaders
  static let ptLoad = ELFLayout.ptLoad

  /// Bytes the compact form of `elf` needs, or nil when `elf` is not a little-endian ELF64 file
  /// whose program header table and PT_LOAD file ranges lie inside it (the caller then bundles the
  /// file as it is, and Rumkv's loader says what is wrong with it).
  public static func compactSize(of elf: UnsafeRawBufferPointer) -> Int? {
    guard let table = loads(elf) else { return nil }
    var total = headerSize + table.count * programHeaderSize
    for i in 0..<table.phnum where isLoad(elf, table, i) {
      total += Int(le64(elf, table.phoff + i * programHeaderSize + 32))
    }
    return total
  }

  /// Writes the compact form of `elf` into `out` and returns its length: the header with e_phoff 64,
  /// the PT_LOAD headers only (p_offset moved, p_align 1 so the offsets need no padding) and their
  /// file bytes in order; no section headers (e_shoff, e_shnum, e_shstrndx 0). Nil when `elf` is not
  /// a file compactSize accepts or `out` is shorter than it says.
  public static func compact(_ elf: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int? {
    guard let table = loads(elf), let size = compactSize(of: elf), out.count >= size else { return nil }
    for i in 0..<headerSize { out[i] = elf[i] }
    put64(out, 32, UInt64(headerSize))                    // e_phoff
    put64(out, 40, 0)                                     // e_shoff
    put16(out, 56, UInt16(table.count))                   // e_phnum
    put16(out, 58, 0); put16(out, 60, 0); put16(out, 62, 0)  // e_shentsize, e_shnum, e_shstrndx
    var header = headerSize
    var data = headerSize + table.count * programHeaderSize
    for i in 0..<table.phnum where isLoad(elf, table, i) {
      let from = table.phoff + i * programHeaderSize
      for k in 0..<programHeaderSize { out[header + k] = elf[from + k] }
      let offset = Int(le64(elf, from + 8)), bytes = Int(le64(elf, from + 32))
      put64(out, header + 8, UInt64(data))                // p_offset
      put64(out, header + 48, 1)                          // p_align
      for k in 0..<bytes { out[data + k] = elf[offset + k] }
      header += programHeaderSize
      data += bytes
    }
    return data
  }

  /// The program header table (offset, entries) and how many PT_LOADs it has, with every PT_LOAD's
  /// file range checked to lie inside `elf`.
  static func loads(_ elf: UnsafeRawBufferPointer) -> (phoff: Int, phnum: Int, count: Int)? {
    guard elf.count >= headerSize, ELFLayout.hasMagic(elf),
          elf[4] == 2, elf[5] == 1 else { return nil }
    let phoff = le64(elf, ELFLayout.programHeaderOffsetField)
    let phnum = Int(le16(elf, ELFLayout.programHeaderCountField))
    guard Int(le16(elf, ELFLayout.programHeaderSizeField)) == programHeaderSize, phnum >= 1, phnum <= maxProgramHeaders,
          phoff <= UInt64(elf.count), UInt64(elf.count) - phoff >= UInt64(phnum * programHeaderSize)
    else { return nil }
    let table = (phoff: Int(phoff), phnum: phnum, count: 0)
    var count = 0
    for i in 0..<phnum where isLoad(elf, table, i) {
      let h = table.phoff + i * programHeaderSize
      let offset = le64(elf, h + 8), bytes = le64(elf, h + 32)
      guard offset <= UInt64(elf.count), UInt64(elf.count) - offset >= bytes else { return nil }
      count += 1
    }
    return count > 0 ? (table.phoff, phnum, count) : nil
  }

  static func isLoad(_ elf: UnsafeRawBufferPointer, _ table: (phoff: Int, phnum: Int, count: Int), _ i: Int) -> Bool {
    le32(elf, table.phoff + i * programHeaderSize) == ptLoad
  }
}
