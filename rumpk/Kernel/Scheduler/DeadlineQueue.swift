// Sleeping fibers ordered by wake time: a binary min-heap of fiber indices in the Bridgehead, each
// fiber remembering its heap position so a killed sleeper leaves in O(log n). Ties wake in the order
// they went to sleep (sequence numbers break ties), which keeps wake order deterministic.

enum DeadlineQueue {
  nonisolated(unsafe) static var heap: UnsafeMutablePointer<Int32> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var sequence: UnsafeMutablePointer<UInt64> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var count = 0
  nonisolated(unsafe) static var nextSequence: UInt64 = 0

  static func initialize(capacity: Int) -> Bool {
    guard let h = Bridgehead.allocate(Int32.self, count: capacity),
          let s = Bridgehead.allocate(UInt64.self, count: capacity) else { return false }
    heap = h
    sequence = s
    count = 0
    return true
  }

  static var earliest: UInt64? { count == 0 ? nil : Fibers.table[Int(heap[0])].deadline }
  static var first: Int? { count == 0 ? nil : Int(heap[0]) }

  static func insert(_ fiber: Int) {
    heap[count] = Int32(fiber)
    sequence[fiber] = nextSequence
    nextSequence &+= 1
    Fibers.table[fiber].heapIndex = Int32(count)
    count += 1
    up(count - 1)
  }

  static func remove(_ fiber: Int) {
    let i = Int(Fibers.table[fiber].heapIndex)
    guard i >= 0, i < count else { return }
    count -= 1
    Fibers.table[fiber].heapIndex = -1
    if i == count { return }
    place(Int(heap[count]), at: i)
    down(i)
    up(i)
  }

  @inline(__always)
  static func before(_ a: Int32, _ b: Int32) -> Bool {
    let da = Fibers.table[Int(a)].deadline, db = Fibers.table[Int(b)].deadline
    return da < db || (da == db && sequence[Int(a)] < sequence[Int(b)])
  }

  static func place(_ fiber: Int, at i: Int) {
    heap[i] = Int32(fiber)
    Fibers.table[fiber].heapIndex = Int32(i)
  }

  static func up(_ start: Int) {
    var i = start
    while i > 0 {
      let parent = (i - 1) / 2
      guard before(heap[i], heap[parent]) else { return }
      let a = Int(heap[i]), b = Int(heap[parent])
      place(a, at: parent)
      place(b, at: i)
      i = parent
    }
  }

  static func down(_ start: Int) {
    var i = start
    while true {
      let l = 2 * i + 1, r = l + 1
      var m = i
      if l < count && before(heap[l], heap[m]) { m = l }
      if r < count && before(heap[r], heap[m]) { m = r }
      if m == i { return }
      let a = Int(heap[i]), b = Int(heap[m])
      place(a, at: m)
      place(b, at: i)
      i = m
    }
  }
}
