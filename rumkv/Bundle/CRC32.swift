// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the checksum zlib and `crc32` compute.
// Bitwise: no table, no heap; bundles are small and read once.

public struct CRC32 {
  public private(set) var value: UInt32 = 0

  public init() {}

  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    var c = ~value
    for byte in bytes {
      c ^= UInt32(byte)
      for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
    }
    value = ~c
  }

  public mutating func updateZeros(_ count: Int) {
    var zero: UInt8 = 0
    for _ in 0..<count { withUnsafeBytes(of: &zero) { update($0) } }
  }

  public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc = CRC32()
    crc.update(bytes)
    return crc.value
  }
}
