// The driver's own record of one split virtqueue (VirtIO 1.x §2.7): which descriptors are free, which
// chains are in flight, how many device-writable bytes each chain offers, and the checks every used
// element passes before the driver believes it. The descriptor table and the rings live in DMA memory
// the device can write; this record does not, so a misbehaving device cannot corrupt it. Pure Swift
// without imports: the same file is compiled into the kernel and unit-tested on the host.
//
// A device is misbehaving (and the driver disables it) when it
//   - moves used.idx by more than the queue size past the last element the driver took,
//   - names a used id that is out of range or not the head of a chain in flight,
//   - reports a used length larger than the chain's device-writable bytes.

public enum VirtqueueFault: Equatable, Sendable {
  case usedIndexJump
  case idOutOfRange
  case idNotInFlight
  case lengthTooLarge
}

/// Up to four descriptor indices of one chain, in chain order.
public struct VirtqueueChain: Sendable {
  public var count: Int = 0
  public var indices = InlineArray<4, UInt16>(repeating: 0)
  public init() {}
  public subscript(_ i: Int) -> UInt16 { indices[i] }
  public var head: UInt16 { indices[0] }
}

public struct VirtqueueBook {
  public static let maxSize = 64
  public static let maxChain = 4
  public let size: Int
  /// Free list and chain links, by descriptor index (-1 = end).
  var link = InlineArray<64, Int16>(repeating: -1)
  var freeHead: Int16 = -1
  /// For a chain head in flight: descriptors in the chain (0 = not a head in flight).
  var chainLength = InlineArray<64, UInt8>(repeating: 0)
  /// For a chain head in flight: device-writable bytes the chain offers.
  var writable = InlineArray<64, UInt32>(repeating: 0)
  /// For a chain head in flight: the driver's cookie for the request.
  var tokens = InlineArray<64, UInt64>(repeating: 0)
  public private(set) var freeCount: Int
  public private(set) var inFlight: Int = 0
  /// The used index up to which the driver has taken elements.
  public private(set) var lastUsed: UInt16 = 0
  /// The first fault seen; once set the queue is dead and every check answers it.
  public private(set) var fault: VirtqueueFault? = nil

  /// A book for a queue of `size` descriptors (1...maxSize; larger sizes are clamped).
  public init(size requested: Int) {
    let n = max(1, min(requested, VirtqueueBook.maxSize))
    size = n
    for i in 0..<n { link[i] = i + 1 < n ? Int16(i + 1) : -1 }
    freeHead = 0
    freeCount = n
  }

  /// Takes `count` (1...maxChain) free descriptors for a chain offering `writableBytes` to the device.
  /// Nil when too few are free or the queue faulted. The caller fills the descriptors and publishes
  /// the head in the avail ring.
  public mutating func allocate(_ count: Int, writableBytes: UInt32, token: UInt64) -> VirtqueueChain? {
    guard fault == nil, count >= 1, count <= VirtqueueBook.maxChain, count <= freeCount else { return nil }
    var chain = VirtqueueChain()
    for i in 0..<count {
      let d = Int(freeHead)
      freeHead = link[d]
      chain.indices[i] = UInt16(d)
      link[d] = -1
    }
    for i in 0..<(count - 1) { link[Int(chain.indices[i])] = Int16(chain.indices[i + 1]) }
    chain.count = count
    freeCount -= count
    let h = Int(chain.head)
    chainLength[h] = UInt8(count)
    writable[h] = writableBytes
    tokens[h] = token
    inFlight += 1
    return chain
  }

  /// How many used elements the device offers when its used index reads `usedIndex`. A jump of
  /// more than the queue size records `.usedIndexJump` and answers nil.
  public mutating func pending(usedIndex: UInt16) -> Int? {
    guard fault == nil else { return nil }
    let n = Int(usedIndex &- lastUsed)
    guard n <= size else {
      fault = .usedIndexJump
      return nil
    }
    return n
  }

  /// Checks one used element without changing anything but the fault: answers the request's token,
  /// or nil after recording why the element cannot be trusted.
  public mutating func check(id: UInt32, length: UInt32) -> UInt64? {
    guard fault == nil else { return nil }
    guard id < UInt32(size) else {
      fault = .idOutOfRange
      return nil
    }
    guard chainLength[Int(id)] != 0 else {
      fault = .idNotInFlight
      return nil
    }
    guard length <= writable[Int(id)] else {
      fault = .lengthTooLarge
      return nil
    }
    return tokens[Int(id)]
  }

  /// Returns the chain headed by `id` (which `check` accepted) to the free list and counts the used
  /// element as taken.
  public mutating func release(id: UInt32) {
    let h = Int(id)
    let n = Int(chainLength[h])
    guard n != 0 else { return }
    var d = h
    for _ in 0..<(n - 1) { d = Int(link[d]) }
    link[d] = freeHead
    freeHead = Int16(h)
    freeCount += n
    chainLength[h] = 0
    writable[h] = 0
    inFlight -= 1
    lastUsed &+= 1
  }

  /// The tokens of every chain still in flight (for failing them when the device is disabled).
  public func forEachInFlight(_ body: (UInt64) -> Void) {
    for i in 0..<size where chainLength[i] != 0 { body(tokens[i]) }
  }

  /// Marks the queue dead for a reason found outside the book.
  public mutating func fail(_ f: VirtqueueFault) {
    if fault == nil { fault = f }
  }
}
