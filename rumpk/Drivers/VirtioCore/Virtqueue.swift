// One split virtqueue in DMA memory: one page holding the descriptor table, the avail ring and the
// used ring, handed in by the caller (a Wild page in the kernel, a pool page in Rumkv; both are
// identity-mapped, so these addresses are what the device sees). All driver
// state that matters lives in `book` (VirtqueueBook), outside the device's reach; the used ring is
// read as untrusted input and checked there.

import _Volatile
import RumpkVirtioBarrier

/// One buffer of a descriptor chain: physical address, length, and whether the device writes it.
public struct VirtioBuffer {
  public var address: UInt64
  public var length: UInt32
  public var deviceWrites: Bool
  public init(_ address: UInt64, _ length: UInt32, deviceWrites: Bool) {
    self.address = address
    self.length = length
    self.deviceWrites = deviceWrites
  }
}

public struct Virtqueue {
  static let descNext: UInt16 = 1
  static let descWrite: UInt16 = 2

  public let index: UInt32
  let memory: UnsafeMutableRawPointer
  let availOffset: Int
  let usedOffset: Int
  public var book: VirtqueueBook
  var availIdx: UInt16 = 0
  var added = false

  public var size: Int { book.size }

  /// Bytes of DMA memory one queue takes: one page.
  public static let pageBytes = 4096

  /// Sets up queue `index` of `transport` with at most `limit` entries (a power of two no larger than
  /// the device allows) in the `pageBytes` at `page`, which the caller gives up to the queue (the
  /// rings are zeroed here; identity-mapped, so `page` is both the pointer and the device's address). Nil when
  /// the queue does not exist; the page is then untouched.
  public static func make(_ transport: VirtioMMIO, index: UInt32, limit: Int, page: UInt64) -> Virtqueue? {
    let max = Int(transport.queueMax(index))
    guard max > 0 else { return nil }
    var n = 1
    while n * 2 <= min(min(max, limit), VirtqueueBook.maxSize) { n *= 2 }
    let memory = UnsafeMutableRawPointer(bitPattern: UInt(page))!
    let availOffset = 16 * n
    let usedOffset = (availOffset + 6 + 2 * n + 3) & ~3
    // Only what the device reads: the descriptor table, the avail ring and the used ring.
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: usedOffset + 6 + 8 * n)
    let q = Virtqueue(index: index, memory: memory, availOffset: availOffset, usedOffset: usedOffset,
                      book: VirtqueueBook(size: n))
    transport.setupQueue(index, size: UInt32(n), desc: page, avail: page + UInt64(availOffset),
                         used: page + UInt64(usedOffset))
    return q
  }

  /// Publishes a chain of 1-3 buffers in the avail ring; `token` comes back from `harvest` when the
  /// device is done with it. False when too few descriptors are free or the queue is dead. The
  /// device sees the chain after `kick`.
  public mutating func submit(_ a: VirtioBuffer, _ b: VirtioBuffer? = nil, _ c: VirtioBuffer? = nil,
                              token: UInt64) -> Bool {
    let count = 1 + (b == nil ? 0 : 1) + (c == nil ? 0 : 1)
    var writable: UInt32 = a.deviceWrites ? a.length : 0
    if let b, b.deviceWrites { writable &+= b.length }
    if let c, c.deviceWrites { writable &+= c.length }
    guard let chain = book.allocate(count, writableBytes: writable, token: token) else { return false }
    for i in 0..<count {
      let buffer = i == 0 ? a : (i == 1 ? b! : c!)
      let d = memory + 16 * Int(chain[i])
      var flags: UInt16 = buffer.deviceWrites ? Virtqueue.descWrite : 0
      if i + 1 < count { flags |= Virtqueue.descNext }
      d.storeBytes(of: buffer.address.littleEndian, toByteOffset: 0, as: UInt64.self)
      d.storeBytes(of: buffer.length.littleEndian, toByteOffset: 8, as: UInt32.self)
      d.storeBytes(of: flags.littleEndian, toByteOffset: 12, as: UInt16.self)
      d.storeBytes(of: (i + 1 < count ? chain[i + 1] : 0).littleEndian, toByteOffset: 14, as: UInt16.self)
    }
    let slot = Int(availIdx) & (size - 1)
    memory.storeBytes(of: chain.head.littleEndian, toByteOffset: availOffset + 4 + 2 * slot, as: UInt16.self)
    rumpk_virtio_mb()  // descriptors and ring entry before the index
    availIdx &+= 1
    VolatileMappedRegister<UInt16>(unsafeBitPattern: UInt(bitPattern: memory + availOffset + 2)).store(availIdx.littleEndian)
    added = true
    return true
  }

  /// Tells the device about chains submitted since the last kick.
  public mutating func kick(_ transport: VirtioMMIO) {
    guard added else { return }
    added = false
    rumpk_virtio_mb()  // avail index before the notification
    transport.notify(index)
  }

  /// Hands each used element the device reported, once checked, to `body` as (token, length), in
  /// order. When `body` answers false the element stays for the next call. Answers false when the
  /// device misbehaved: the queue is then dead (`book.fault` says why) and must not be used again.
  public mutating func harvest(_ body: (UInt64, UInt32) -> Bool) -> Bool {
    let raw = VolatileMappedRegister<UInt16>(unsafeBitPattern: UInt(bitPattern: memory + usedOffset + 2)).load()
    guard let n = book.pending(usedIndex: UInt16(littleEndian: raw)) else { return false }
    guard n > 0 else { return true }
    rumpk_virtio_mb()  // the index before the elements it covers
    for _ in 0..<n {
      let slot = Int(book.lastUsed) & (size - 1)
      let e = memory + usedOffset + 4 + 8 * slot
      let id = UInt32(littleEndian: e.load(fromByteOffset: 0, as: UInt32.self))
      let length = UInt32(littleEndian: e.load(fromByteOffset: 4, as: UInt32.self))
      guard let token = book.check(id: id, length: length) else { return false }
      guard body(token, length) else { return true }
      book.release(id: id)
    }
    return true
  }

  public var isDead: Bool { book.fault != nil }
}
