// kv: a tiny key-value log on virtio-blk that survives a restart of the cell. Through the ABI and the
// "/dev/blk0" device channel (RumpkNPL) only.
//   Sector 0: the commit record: "RKVLOG1\0", u32 record count, u32 bytes, u64 FNV-1a of the bytes.
//   Sectors 1-8: the records: u8 key length, u8 value length, key, value; one after the other.
// An empty disk (no commit record) gets three fixed records and a random nonce, written records
// first, flushed, then the commit record, flushed: a crash in between leaves an empty log, never a
// torn one. A disk with a valid log is read back and printed. Halts with 0, or 1 on any error.

import RumpkABI
import RumpkION
import RumpkNPL

let logSectors: UInt32 = 8
let magic: (UInt64) = 0x0031_474F_4C56_4B52  // "RKVLOG1\0"

func fnv(_ b: UnsafeRawBufferPointer) -> UInt64 {
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01B3 }
  return h
}

func fail(_ s: StaticString, _ status: Int32) {
  Out.put("kv: ")
  Out.put(s)
  Out.put(" failed, status ")
  if status < 0 { Out.put("-") }
  Out.dec(UInt64(status.magnitude))
  Out.put("\n")
  NPL.halt(1)
}

/// Appends one record at `at` in `area`; answers the new end.
func append(_ area: UnsafeMutableRawBufferPointer, _ at: Int, _ key: StaticString, _ value: UnsafeRawBufferPointer) -> Int {
  var p = at
  area[p] = UInt8(key.utf8CodeUnitCount)
  area[p + 1] = UInt8(value.count)
  p += 2
  for i in 0..<key.utf8CodeUnitCount { area[p + i] = key.utf8Start[i] }
  p += key.utf8CodeUnitCount
  for i in 0..<value.count { area[p + i] = value[i] }
  return p + value.count
}

func writeLog(_ dev: inout DeviceChannel) {
  let area = UnsafeMutableRawBufferPointer(rebasing: dev.data[512..<(512 + Int(logSectors) * 512)])
  area.initializeMemory(as: UInt8.self, repeating: 0)
  var end = 0
  let answer: StaticString = "42"
  let greeting: StaticString = "hello from the disk"
  end = append(area, end, "answer", UnsafeRawBufferPointer(start: answer.utf8Start, count: answer.utf8CodeUnitCount))
  end = append(area, end, "greeting", UnsafeRawBufferPointer(start: greeting.utf8Start, count: greeting.utf8CodeUnitCount))
  // A nonce from the kernel CSPRNG (seeded from virtio-rng when the cell has one), as hex.
  var random: UInt64 = 0
  _ = withUnsafeMutableBytes(of: &random) { NPL.random(into: $0) }
  var hex: (UInt64, UInt64) = (0, 0)
  withUnsafeMutableBytes(of: &hex) { h in
    for i in 0..<16 {
      let d = UInt8(truncatingIfNeeded: random >> UInt64(60 - 4 * i)) & 0xF
      h[i] = d < 10 ? 48 + d : 87 + d
    }
    end = append(area, end, "nonce", UnsafeRawBufferPointer(h))
  }
  var c = dev.perform(DeviceOp.write, sector: 1, offset: 512, length: logSectors * 512)
  guard c.status == 0 else { return fail("writing the records", c.status) }
  c = dev.perform(DeviceOp.flush, offset: 0, length: 0)
  guard c.status == 0 else { return fail("flushing the records", c.status) }
  let header = UnsafeMutableRawBufferPointer(rebasing: dev.data[0..<512])
  header.initializeMemory(as: UInt8.self, repeating: 0)
  header.storeBytes(of: magic.littleEndian, toByteOffset: 0, as: UInt64.self)
  header.storeBytes(of: UInt32(3).littleEndian, toByteOffset: 8, as: UInt32.self)
  header.storeBytes(of: UInt32(end).littleEndian, toByteOffset: 12, as: UInt32.self)
  header.storeBytes(of: fnv(UnsafeRawBufferPointer(rebasing: area[0..<end])).littleEndian, toByteOffset: 16, as: UInt64.self)
  c = dev.perform(DeviceOp.write, sector: 0, offset: 0, length: 512)
  guard c.status == 0 else { return fail("writing the commit record", c.status) }
  c = dev.perform(DeviceOp.flush, offset: 0, length: 0)
  guard c.status == 0 else { return fail("flushing the commit record", c.status) }
  Out.put("kv: empty disk; wrote 3 records, nonce ")
  withUnsafeBytes(of: &hex) { Out.bytes($0) }
  Out.put("\n")
}

func readLog(_ dev: inout DeviceChannel, count: UInt32, bytes: UInt32, sum: UInt64) {
  guard bytes <= logSectors * 512 else { return fail("checking the commit record", -22) }
  let c = dev.perform(DeviceOp.read, sector: 1, offset: 512, length: logSectors * 512)
  guard c.status == 0 else { return fail("reading the records", c.status) }
  let area = UnsafeRawBufferPointer(rebasing: dev.data[512..<(512 + Int(bytes))])
  guard fnv(area) == sum else { return fail("checking the records", -5) }
  var p = 0
  var n: UInt32 = 0
  while n < count && p + 2 <= area.count {
    let k = Int(area[p]), v = Int(area[p + 1])
    guard p + 2 + k + v <= area.count else { break }
    Out.put("kv: ")
    Out.bytes(UnsafeRawBufferPointer(rebasing: area[(p + 2)..<(p + 2 + k)]))
    Out.put(" = ")
    Out.bytes(UnsafeRawBufferPointer(rebasing: area[(p + 2 + k)..<(p + 2 + k + v)]))
    Out.put("\n")
    p += 2 + k + v
    n += 1
  }
  Out.put("kv: ")
  Out.dec(UInt64(n))
  Out.put(" records read back\n")
}

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  guard var dev = DeviceChannel("/dev/blk0") else {
    Out.put("kv: no block device (/dev/blk0); run with --disk FILE\n")
    NPL.halt(1)
    return
  }
  Out.put("kv: disk of ")
  Out.dec(dev.info)
  Out.put(" sectors\n")
  guard dev.info >= UInt64(logSectors) + 1 else { return fail("sizing the disk", -28) }
  let c = dev.perform(DeviceOp.read, sector: 0, offset: 0, length: 512)
  guard c.status == 0 else { return fail("reading the commit record", c.status) }
  let header = UnsafeRawBufferPointer(rebasing: dev.data[0..<512])
  if UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) == magic {
    readLog(&dev, count: UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
            bytes: UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
            sum: UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
  } else {
    writeLog(&dev)
  }
  NPL.halt(0)
}
