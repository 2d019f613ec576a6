// Sequential writer of a version 17 blob into a caller's buffer, no heap. Layout while writing:
// header (written by finish) | reservations | structure block, growing up | free | strings, growing
// down from the end of the buffer. A property's nameoff temporarily holds the distance of its name
// from the end of the buffer; finish() rewrites it once the strings block size is known, then
// moves the strings down to follow the structure block.
//
// Each call checks space and order before writing anything: a call that throws has not changed the
// buffer's meaningful contents or the writer's state (copySubtree/copyProperties may stop midway;
// abandon the blob after they throw).

public struct FDTWriter {
  enum Phase { case reservations, tree, closed, finished }

  let buffer: UnsafeMutableRawBufferPointer
  /// First free byte after header, reservations and structure written so far.
  var cursor = FDTHeader.size
  /// The strings occupy [stringsStart, buffer.count), the newest first.
  var stringsStart: Int
  var structStart = 0
  var depth = 0
  var hasChild: UInt64 = 0  // bit d-1: the open node at depth d has a child
  var phase = Phase.reservations
  public var bootCPUID: UInt32 = 0

  public init(buffer: UnsafeMutableRawBufferPointer) {
    self.buffer = buffer
    stringsStart = buffer.count
  }

  /// Bytes between the structure and the strings; negative when the buffer cannot hold a header.
  var free: Int { stringsStart - cursor }

  /// Bytes the finished blob would take if finish() were called now (plus its 4-byte END).
  public var size: Int { cursor + 4 + (buffer.count - stringsStart) }

  // MARK: raw stores; callers have checked that the bytes lie inside the buffer

  func store32(_ v: UInt32, at offset: Int) {
    buffer[offset] = UInt8(truncatingIfNeeded: v >> 24)
    buffer[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
    buffer[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
    buffer[offset + 3] = UInt8(truncatingIfNeeded: v)
  }

  func load32(at offset: Int) -> UInt32 {
    UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8
      | UInt32(buffer[offset + 3])
  }

  func copy(_ bytes: UnsafeRawBufferPointer, to offset: Int) {
    var i = 0
    while i < bytes.count {
      buffer[offset + i] = bytes[i]
      i += 1
    }
  }

  func zero(_ offset: Int, _ count: Int) {
    var i = 0
    while i < count {
      buffer[offset + i] = 0
      i += 1
    }
  }

  // MARK: reservations

  /// Adds a memory reservation entry. Only before the first beginNode; a (0, 0) entry is ignored
  /// because it would read as the terminator.
  public mutating func addReservation(address: UInt64, size: UInt64) throws(FDTError) {
    guard phase == .reservations else { throw .badStructure }
    guard address | size != 0 else { return }
    guard free >= 16 else { throw .noSpace }
    store32(UInt32(truncatingIfNeeded: address >> 32), at: cursor)
    store32(UInt32(truncatingIfNeeded: address), at: cursor + 4)
    store32(UInt32(truncatingIfNeeded: size >> 32), at: cursor + 8)
    store32(UInt32(truncatingIfNeeded: size), at: cursor + 12)
    cursor += 16
  }

  // MARK: nodes

  /// Begins the root (name "") or, inside an open node, a child named `name`.
  public mutating func beginNode(_ name: StaticString) throws(FDTError) {
    try withBytesThrowing(name) { (bytes) throws(FDTError) in try beginNode(bytes) }
  }

  /// beginNode with a name held in bytes (e.g. FDT.name(of:)), without NUL.
  public mutating func beginNode(_ name: UnsafeRawBufferPointer) throws(FDTError) {
    try emitBeginNode(name, unitAddress: nil)
  }

  /// Begins a child named "base@unitAddress", the address in lower-case hex without leading zeros.
  public mutating func beginNode(_ base: StaticString, unitAddress: UInt64) throws(FDTError) {
    try withBytesThrowing(base) { (bytes) throws(FDTError) in try emitBeginNode(bytes, unitAddress: unitAddress) }
  }

  static func hexDigits(_ v: UInt64) -> Int {
    var n = 1
    var x = v >> 4
    while x != 0 {
      n += 1
      x >>= 4
    }
    return n
  }

  /// Guarantees: the root is the only node at depth 0 and has an empty name; other names are
  /// non-empty without NUL or '/'; depth stays ≤ FDT.maxDepth.
  mutating func emitBeginNode(_ base: UnsafeRawBufferPointer, unitAddress: UInt64?) throws(FDTError) {
    guard phase == .reservations || phase == .tree else { throw .badStructure }
    guard depth < FDT.maxDepth else { throw .tooDeep }
    if depth == 0 {
      guard base.count == 0, unitAddress == nil else { throw .badString }
    } else {
      guard base.count > 0, indexOf(0, in: base) == base.count, indexOf(UInt8(ascii: "/"), in: base) == base.count
      else { throw .badString }
    }
    guard base.count < free else { throw .noSpace }
    var nameLength = base.count
    if let unitAddress { nameLength += 1 + FDTWriter.hexDigits(unitAddress) }
    let terminator = phase == .reservations ? 16 : 0
    guard let padded = align4(nameLength + 1), terminator + 4 + padded <= free else { throw .noSpace }

    if phase == .reservations {
      zero(cursor, 16)
      cursor += 16
      structStart = cursor
      phase = .tree
    }
    store32(FDTTag.beginNode, at: cursor)
    let name = cursor + 4
    copy(base, to: name)
    if let unitAddress {
      buffer[name + base.count] = UInt8(ascii: "@")
      let digits = FDTWriter.hexDigits(unitAddress)
      var i = 0
      while i < digits {
        let nibble = UInt8(truncatingIfNeeded: unitAddress >> (UInt64(digits - 1 - i) * 4)) & 0xF
        buffer[name + base.count + 1 + i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
        i += 1
      }
    }
    zero(name + nameLength, padded - nameLength)
    cursor = name + padded
    if depth > 0 { hasChild |= 1 << (depth - 1) }
    depth += 1
    hasChild &= ~(1 << (depth - 1))
  }

  public mutating func endNode() throws(FDTError) {
    guard phase == .tree, depth > 0 else { throw .badStructure }
    guard free >= 4 else { throw .noSpace }
    store32(FDTTag.endNode, at: cursor)
    cursor += 4
    depth -= 1
    if depth == 0 { phase = .closed }
  }

  // MARK: properties

  /// Offset from the end of the buffer of an existing string equal to `name`.
  func findString(_ name: UnsafeRawBufferPointer) -> Int? {
    var p = stringsStart
    while p < buffer.count {
      var q = p
      while q < buffer.count && buffer[q] != 0 { q += 1 }
      if bytesEqual(UnsafeRawBufferPointer(rebasing: buffer[p..<q]), name) { return buffer.count - p }
      p = q + 1
    }
    return nil
  }

  /// Writes a property of `length` bytes whose value `fill` stores into the buffer it is given
  /// (exactly `length` bytes). Assumes an open node with no child yet; guarantees the name is in the
  /// strings table once.
  mutating func emitProperty(
    _ name: UnsafeRawBufferPointer, length: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void
  ) throws(FDTError) {
    guard phase == .tree, depth > 0, hasChild & (1 << (depth - 1)) == 0 else { throw .badStructure }
    guard name.count > 0, indexOf(0, in: name) == name.count else { throw .badString }
    guard name.count <= FDT.maxPropertyNameLength else { throw .badString }
    guard length >= 0, length < free, name.count < free, UInt32(exactly: length) != nil else { throw .noSpace }
    let existing = findString(name)
    let stringCost = existing == nil ? name.count + 1 : 0
    guard let padded = align4(length), 12 + padded <= free, stringCost <= free - 12 - padded else {
      throw .noSpace
    }
    let distance: Int
    if let existing {
      distance = existing
    } else {
      guard UInt32(exactly: buffer.count - (stringsStart - stringCost)) != nil else { throw .noSpace }
      stringsStart -= stringCost
      copy(name, to: stringsStart)
      buffer[stringsStart + name.count] = 0
      distance = buffer.count - stringsStart
    }
    store32(FDTTag.property, at: cursor)
    store32(UInt32(truncatingIfNeeded: length), at: cursor + 4)
    store32(UInt32(truncatingIfNeeded: distance), at: cursor + 8)
    let value = cursor + 12
    fill(UnsafeMutableRawBufferPointer(rebasing: buffer[value..<(value + length)]))
    zero(value + length, padded - length)
    cursor = value + padded
  }

  public mutating func property(_ name: StaticString, bytes: UnsafeRawBufferPointer) throws(FDTError) {
    try withBytesThrowing(name) { (n) throws(FDTError) in try property(n, bytes: bytes) }
  }

  public mutating func property(_ name: UnsafeRawBufferPointer, bytes: UnsafeRawBufferPointer) throws(FDTError) {
    try emitProperty(name, length: bytes.count) { out in
      var i = 0
      while i < bytes.count {
        out[i] = bytes[i]
        i += 1
      }
    }
  }

  /// A property with no value, such as "ranges" or "interrupt-controller".
  public mutating func propertyEmpty(_ name: StaticString) throws(FDTError) {
    try withBytesThrowing(name) { (n) throws(FDTError) in try emitProperty(n, length: 0) { _ in } }
  }

  /// A property of `count` 32-bit cells; `cell(i)` gives cell i.
  public mutating func propertyCells(
    _ name: StaticString, count: Int, _ cell: (Int) -> UInt32
  ) throws(FDTError) {
    guard count >= 0, count <= Int.max / 4 else { throw .noSpace }
    try withBytesThrowing(name) { (n) throws(FDTError) in
      try emitProperty(n, length: count * 4) { out in
        var i = 0
        while i < count {
          let v = cell(i)
          out[i * 4] = UInt8(truncatingIfNeeded: v >> 24)
          out[i * 4 + 1] = UInt8(truncatingIfNeeded: v >> 16)
          out[i * 4 + 2] = UInt8(truncatingIfNeeded: v >> 8)
          out[i * 4 + 3] = UInt8(truncatingIfNeeded: v)
          i += 1
        }
      }
    }
  }

  public mutating func propertyU32(_ name: StaticString, _ value: UInt32) throws(FDTError) {
    try propertyCells(name, count: 1) { _ in value }
  }

  /// Two cells, most significant first.
  public mutating func propertyU64(_ name: StaticString, _ value: UInt64) throws(FDTError) {
    try propertyCells(name, count: 2) { i in UInt32(truncatingIfNeeded: i == 0 ? value >> 32 : value) }
  }

  public mutating func propertyU32Pair(_ name: StaticString, _ first: UInt32, _ second: UInt32) throws(FDTError) {
    try propertyCells(name, count: 2) { i in i == 0 ? first : second }
  }

  /// A one-entry "reg" (address then size, each in 0...2 cells, most significant cell first).
  public mutating func propertyReg(
    address: UInt64, size: UInt64, addressCells: Int, sizeCells: Int
  ) throws(FDTError) {
    guard (0...2).contains(addressCells), (0...2).contains(sizeCells) else { throw .badStructure }
    try propertyCells("reg", count: addressCells + sizeCells) { i in
      let (v, cells, k) = i < addressCells ? (address, addressCells, i) : (size, sizeCells, i - addressCells)
      return UInt32(truncatingIfNeeded: v >> (UInt64(cells - 1 - k) * 32))
    }
  }

  /// A string property: the bytes of `value` and a NUL.
  public mutating func propertyString(_ name: StaticString, _ value: StaticString) throws(FDTError) {
    try withBytesThrowing(value) { (v) throws(FDTError) in try propertyString(name, bytes: v) }
  }

  /// A string property from bytes without NUL; a NUL is appended.
  public mutating func propertyString(_ name: StaticString, bytes value: UnsafeRawBufferPointer) throws(FDTError) {
    guard value.count < Int.max else { throw .noSpace }
    try withBytesThrowing(name) { (n) throws(FDTError) in
      try emitProperty(n, length: value.count + 1) { out in
        var i = 0
        while i < value.count {
          out[i] = value[i]
          i += 1
        }
        out[value.count] = 0
      }
    }
  }

  // MARK: finish

  /// Ends the structure block, fixes property name offsets, moves the strings after the structure
  /// and writes the header. Requires the root to be closed. Returns the blob size; the blob is
  /// buffer[0..<size]. The writer accepts no further calls.
  public mutating func finish() throws(FDTError) -> Int {
    guard phase == .closed else { throw .badStructure }
    guard free >= 4 else { throw .noSpace }
    store32(FDTTag.end, at: cursor)
    let structEnd = cursor + 4
    let stringsSize = buffer.count - stringsStart
    let total = structEnd + stringsSize
    guard UInt32(exactly: total) != nil else { throw .noSpace }

    var offset = structStart
    while offset < cursor {
      guard fits(offset, 4, in: cursor) else { throw .badStructure }
      switch load32(at: offset) {
      case FDTTag.beginNode:
        var nul = offset + 4
        while nul < cursor && buffer[nul] != 0 { nul += 1 }
        guard nul < cursor, let next = align4(nul + 1) else { throw .badStructure }
        offset = next
      case FDTTag.property:
        guard fits(offset, 12, in: cursor) else { throw .badStructure }
        guard let length = Int(exactly: load32(at: offset + 4)), let distance = Int(exactly: load32(at: offset + 8)),
          distance <= stringsSize, fits(offset + 12, length, in: cursor), let next = align4(offset + 12 + length)
        else { throw .badStructure }
        store32(UInt32(truncatingIfNeeded: stringsSize - distance), at: offset + 8)
        offset = next
      default:
        offset += 4
      }
    }

    var i = 0
    while i < stringsSize {
      buffer[structEnd + i] = buffer[stringsStart + i]
      i += 1
    }
    store32(FDTHeader.magic, at: 0)
    store32(UInt32(truncatingIfNeeded: total), at: 4)
    store32(UInt32(truncatingIfNeeded: structStart), at: 8)
    store32(UInt32(truncatingIfNeeded: structEnd), at: 12)
    store32(UInt32(FDTHeader.size), at: 16)
    store32(FDTHeader.version, at: 20)
    store32(FDTHeader.lastCompatibleVersion, at: 24)
    store32(bootCPUID, at: 28)
    store32(UInt32(truncatingIfNeeded: stringsSize), at: 32)
    store32(UInt32(truncatingIfNeeded: structEnd - structStart), at: 36)
    cursor = structEnd
    stringsStart = buffer.count
    phase = .finished
    return total
  }
}
