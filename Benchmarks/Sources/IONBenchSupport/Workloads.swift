// Cross-thread SPSC workloads for the ION ring benchmark: the same job — move `messages` messages of
// `payload` bytes (the first 8 are the index) from one thread to another and checksum them on the
// consumer (first u64 + length) — done by the ION ring (per message or batched), the C reference ring,
// a pipe, and a mutex-guarded Deque. Each returns elapsed seconds from "go" to the last message read.

import CSPSCRing
import DequeModule
import Foundation
import RumpkION
import RumpkKernel
import Synchronization

public struct RunResult: Sendable {
  public let seconds: Double
  public let checksum: UInt64
  public let messages: UInt64
  public var rate: Double { Double(messages) / seconds }
}

/// The checksum every workload must produce for `messages` messages of `payload` bytes.
public func expectedChecksum(messages: UInt64, payload: Int) -> UInt64 {
  // sum of 0 ..< n, plus n * payload, in wrapping arithmetic.
  let n = messages
  let s = n % 2 == 0 ? (n / 2) &* (n &- 1) : n &* ((n &- 1) / 2)
  return s &+ n &* UInt64(payload)
}

/// State handed to the producer thread.
final class Job: @unchecked Sendable {
  let go = Atomic<Bool>(false)
  let done = Atomic<Bool>(false)
  let memory: UnsafeMutableRawBufferPointer
  let fd: Int32
  init(memory: UnsafeMutableRawBufferPointer = UnsafeMutableRawBufferPointer(start: nil, count: 0), fd: Int32 = -1) {
    self.memory = memory
    self.fd = fd
  }
  /// Pins the consumer (calling thread) to CPU 0 and releases the producer.
  func start() -> UInt64 {
    cspsc_pin_self(0)
    let t = cspsc_now_ns()
    go.store(true, ordering: .releasing)
    return t
  }

  func waitForGo() {
    var spins: UInt32 = 0
    while !go.load(ordering: .acquiring) { cspsc_backoff(&spins) }
  }
}

func startProducer(_ job: Job, _ body: @escaping @Sendable () -> Void) -> Thread {
  let t = Thread {
    cspsc_pin_self(1)
    body()
    job.done.store(true, ordering: .releasing)
  }
  t.stackSize = 1 << 20
  t.start()
  return t
}

func waitProducer(_ job: Job) {
  cspsc_pin_self(-1)
  while !job.done.load(ordering: .acquiring) { usleep(100) }
}

/// A message buffer with the index at the front.
func messageBuffer(_ payload: Int) -> UnsafeMutableRawBufferPointer {
  let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(payload, 8), alignment: 16)
  b.initializeMemory(as: UInt8.self, repeating: 0x5A)
  return b
}

// MARK: ION ring

public func ionSlotSize(payload: Int) -> Int { max(16, (payload + 8 + 7) & ~7) }

/// ION ring, one release store per message on each side (`batch` == 1), or reserve/consume up to
/// `batch` messages per cursor store.
public func runION(messages: UInt64, payload: Int, slotCount: Int, batch: Int = 1) -> RunResult {
  let slotSize = ionSlotSize(payload: payload)
  let memory = UnsafeMutableRawBufferPointer.allocate(
    byteCount: IONRing.byteCount(slotSize: slotSize, slotCount: slotCount)!, alignment: 128)
  defer { memory.deallocate() }
  try! IONRing.format(at: memory, slotSize: slotSize, slotCount: slotCount, channel: 1)
  let job = Job(memory: memory)
  _ = startProducer(job) {
    var p = try! IONProducer(attaching: job.memory)
    let msg = messageBuffer(payload)
    defer { msg.deallocate() }
    let src = UnsafeRawBufferPointer(start: msg.baseAddress, count: payload)
    job.waitForGo()
    var i: UInt64 = 0
    var spins: UInt32 = 0
    if batch <= 1 {
      while i < messages {
        msg.storeBytes(of: i, as: UInt64.self)
        if p.tryPublish(type: 1, bytes: src) == .published { i &+= 1 } else { cspsc_backoff(&spins) }
      }
    } else {
      while i < messages {
        let want = Int(min(UInt64(batch), messages &- i))
        switch p.tryReserve(upTo: want) {
        case .reserved(let r):
          let k = r.count
          for j in 0..<k {
            msg.storeBytes(of: i &+ UInt64(j), as: UInt64.self)
            _ = r.write(j, type: 1, bytes: src)
          }
          _ = p.publish(r)
          i &+= UInt64(k)
        default:
          cspsc_backoff(&spins)
        }
      }
    }
  }
  var c = try! IONConsumer(attaching: memory)
  var sum: UInt64 = 0
  var got: UInt64 = 0
  var spins: UInt32 = 0
  let start = job.start()
  loop: while got < messages {
    let r: IONPoll
    if batch <= 1 {
      r = c.tryConsume { m in sum &+= m.payload.loadUnaligned(as: UInt64.self) &+ UInt64(m.payload.count) }
    } else {
      r = c.consume(upTo: batch) { m in sum &+= m.payload.loadUnaligned(as: UInt64.self) &+ UInt64(m.payload.count) }
    }
    switch r {
    case .consumed(let k): got &+= UInt64(k)
    case .empty: cspsc_backoff(&spins)
    case .closed: break loop
    }
  }
  let end = cspsc_now_ns()
  waitProducer(job)
  return RunResult(seconds: Double(end - start) / 1e9, checksum: sum, messages: messages)
}

/// ION ring on ONE thread: publish `burst` messages, consume them, repeat. The per-message cost of
/// the code itself (no cache-line transfers, no scheduling), so it is stable on a loaded machine.
public func runIONSingleThread(messages: UInt64, payload: Int, slotCount: Int, burst: Int = 256) -> RunResult {
  let slotSize = ionSlotSize(payload: payload)
  let memory = UnsafeMutableRawBufferPointer.allocate(
    byteCount: IONRing.byteCount(slotSize: slotSize, slotCount: slotCount)!, alignment: 128)
  defer { memory.deallocate() }
  try! IONRing.format(at: memory, slotSize: slotSize, slotCount: slotCount, channel: 1)
  var p = try! IONProducer(attaching: memory)
  var c = try! IONConsumer(attaching: memory)
  let msg = messageBuffer(payload)
  defer { msg.deallocate() }
  let src = UnsafeRawBufferPointer(start: msg.baseAddress, count: payload)
  var sum: UInt64 = 0
  let start = cspsc_now_ns()
  var i: UInt64 = 0
  while i < messages {
    let n = min(UInt64(burst), messages &- i)
    for k in 0..<n {
      msg.storeBytes(of: i &+ k, as: UInt64.self)
      _ = p.tryPublish(type: 1, bytes: src)
    }
    for _ in 0..<n {
      _ = c.tryConsume { m in sum &+= m.payload.loadUnaligned(as: UInt64.self) &+ UInt64(m.payload.count) }
    }
    i &+= n
  }
  let end = cspsc_now_ns()
  return RunResult(seconds: Double(end - start) / 1e9, checksum: sum, messages: messages)
}

// MARK: C reference ring

public func runCRingSingleThread(messages: UInt64, payload: Int, slotCount: Int, burst: Int = 256) -> RunResult {
  var sum: UInt64 = 0
  let s = cspsc_run_single(
    messages, UInt32(payload), UInt32(ionSlotSize(payload: payload)), UInt32(slotCount), UInt32(burst), &sum)
  return RunResult(seconds: s, checksum: sum, messages: messages)
}

public func runCRing(messages: UInt64, payload: Int, slotCount: Int) -> RunResult {
  var sum: UInt64 = 0
  let s = cspsc_run(messages, UInt32(payload), UInt32(ionSlotSize(payload: payload)), UInt32(slotCount), &sum)
  return RunResult(seconds: s, checksum: sum, messages: messages)
}

// MARK: pipe

/// write()/read() of one message per syscall between two threads.
public func runPipe(messages: UInt64, payload: Int) -> RunResult {
  var fds: [Int32] = [0, 0]
  precondition(pipe(&fds) == 0)
  defer { close(fds[0]) }
  let job = Job(fd: fds[1])
  _ = startProducer(job) {
    let msg = messageBuffer(payload)
    defer { msg.deallocate(); close(job.fd) }
    job.waitForGo()
    for i in 0..<messages {
      msg.storeBytes(of: i, as: UInt64.self)
      var off = 0
      while off < payload {
        let n = write(job.fd, msg.baseAddress! + off, payload - off)
        if n <= 0 { return }
        off += n
      }
    }
  }
  let buf = messageBuffer(payload)
  defer { buf.deallocate() }
  var sum: UInt64 = 0
  var got: UInt64 = 0
  let start = job.start()
  outer: while got < messages {
    var off = 0
    while off < payload {
      let n = read(fds[0], buf.baseAddress! + off, payload - off)
      if n <= 0 { break outer }
      off += n
    }
    sum &+= buf.load(as: UInt64.self) &+ UInt64(payload)
    got &+= 1
  }
  let end = cspsc_now_ns()
  waitProducer(job)
  return RunResult(seconds: Double(end - start) / 1e9, checksum: sum, messages: messages)
}

// MARK: mutex + Deque

/// A 64-byte message for the Deque workload.
public struct Message64: Sendable {
  var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}

/// A bounded FIFO: swift-collections Deque under a pthread mutex.
final class MutexDeque<T>: @unchecked Sendable {
  var deque: Deque<T>
  let capacity: Int
  let mutex: UnsafeMutablePointer<pthread_mutex_t>
  init(capacity: Int) {
    self.capacity = capacity
    deque = Deque(minimumCapacity: capacity)
    mutex = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
  }
  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }
  @inline(__always) func tryPush(_ v: T) -> Bool {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    guard deque.count < capacity else { return false }
    deque.append(v)
    return true
  }
  @inline(__always) func tryPop() -> T? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return deque.popFirst()
  }
}

public func runMutexDeque(messages: UInt64, payload: Int, capacity: Int) -> RunResult {
  if payload <= 8 {
    return runMutexDeque(messages: messages, capacity: capacity, make: { $0 }, first: { $0 }, size: 8)
  }
  return runMutexDeque(
    messages: messages, capacity: capacity, make: { i in var m = Message64(); m.words.0 = i; return m },
    first: { $0.words.0 }, size: 64)
}

func runMutexDeque<T>(
  messages: UInt64, capacity: Int, make: @escaping @Sendable (UInt64) -> T, first: (T) -> UInt64, size: Int
) -> RunResult {
  let q = MutexDeque<T>(capacity: capacity)
  let job = Job()
  _ = startProducer(job) {
    job.waitForGo()
    var i: UInt64 = 0
    var spins: UInt32 = 0
    while i < messages {
      if q.tryPush(make(i)) { i &+= 1 } else { cspsc_backoff(&spins) }
    }
  }
  var sum: UInt64 = 0
  var got: UInt64 = 0
  var spins: UInt32 = 0
  let start = job.start()
  while got < messages {
    if let v = q.tryPop() {
      sum &+= first(v) &+ UInt64(size)
      got &+= 1
    } else {
      cspsc_backoff(&spins)
    }
  }
  let end = cspsc_now_ns()
  waitProducer(job)
  return RunResult(seconds: Double(end - start) / 1e9, checksum: sum, messages: messages)
}
