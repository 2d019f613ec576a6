// The fiber table: a fixed array in the Bridgehead, sized at boot. Slots are reused with a new
// generation, so ids of ended fibers go stale instead of aliasing.

import RumpkABI
import RumpkPlatform

public enum Fibers {
  nonisolated(unsafe) static var table: UnsafeMutablePointer<Fiber> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) public private(set) static var capacity = 0
  nonisolated(unsafe) public private(set) static var live = 0
  /// Live fibers that are daemons (Fiber.daemon): run() ends once they are all that is left.
  nonisolated(unsafe) public private(set) static var daemons = 0
  /// High-water mark: slots [0, used) have been written; slots [used, capacity) were never handed
  /// out, count as free with generation 0, and their memory is not initialised (read none of it).
  nonisolated(unsafe) public private(set) static var used = 0
  nonisolated(unsafe) static var freeHint = 0
  nonisolated(unsafe) public static var stackPages = 1
  /// NPL fibers run in user mode (EL0) with a user stack of their own beside the kernel stack
  /// (KernelConfiguration.userStacks; docs/decisions/K6-el0-npls.md).
  nonisolated(unsafe) public static var userStacks = false

  /// Reserves the table for `capacity` fibers in the Bridgehead. False when it does not fit.
  /// Nothing of it is written here: a slot is first written when `create` hands it out (`used`
  /// grows by one), so boot costs the same for 256 fibers as for 10,000.
  static func initialize(capacity n: Int) -> Bool {
    guard n > 0, let t = Bridgehead.reserve(Fiber.self, count: n) else { return false }
    table = t
    capacity = n
    live = 0
    daemons = 0
    used = 0
    freeHint = 0
    return true
  }

  /// Retires the contexts of the fibers an earlier kernel instance left behind (waiting daemons,
  /// fibers a halt cut short): tests bring kernels up again over the same memory, and a platform
  /// that keeps a record per context must let go of them before their stacks are reused. Assumes
  /// none of them runs; on a first boot the table is empty and this does nothing.
  static func retireLeftovers() {
    for i in 0..<used where table[i].state != .free {
      rumpk_context_retire_if_linked(table[i].sp)
    }
    used = 0
    live = 0
  }

  /// Written at the lowest word of every stack; a switch that finds it changed stops the cell,
  /// since whatever lies below the stack has been overwritten.
  static let stackCanary: UInt64 = 0x5275_6D70_6B53_4B21

  /// The slot of a live fiber named by `id`, or nil for a stale, free or out-of-range id.
  public static func index(of id: FiberID) -> Int? {
    let i = id.index
    guard i < used, table[i].state != .free, table[i].state != .dead, table[i].generation == id.generation else {
      return nil
    }
    return i
  }

  public static func id(of index: Int) -> FiberID { FiberID(index: index, generation: table[index].generation) }

  public static func state(_ id: FiberID) -> FiberState? {
    let i = id.index
    guard i < used else { return i < capacity && id.generation == 0 ? .free : nil }
    guard table[i].generation == id.generation else { return nil }
    return table[i].state
  }

  public static func end(_ id: FiberID) -> FiberEnd? {
    let i = id.index
    guard i < used else { return i < capacity && id.generation == 0 ? FiberEnd.none : nil }
    guard table[i].generation == id.generation else { return nil }
    return table[i].end
  }

  public static func promises(_ id: FiberID) -> Promises? { index(of: id).map { table[$0].promises } }
  public static func tier(_ id: FiberID) -> Tier? { index(of: id).map { table[$0].tier } }
  public static func overruns(_ id: FiberID) -> UInt32 { id.index < used ? table[id.index].overruns : 0 }
  public static func violation(_ id: FiberID) -> Int8 {
    id.index < used ? table[id.index].violation : id.index < capacity ? 0 : -1
  }
  public static func stack(_ id: FiberID) -> Region? { index(of: id).map { table[$0].stack } }

  /// Creates a ready-to-run fiber that will call `entry(argument)` on its own stack. A `user` fiber
  /// (NPL code) on a platform with user mode also gets a user stack of the same size, which is the
  /// partition's stack slot; its kernel stack then stays outside the partition.
  /// Errors: EAGAIN when the table is full, ENOMEM when Wild has no pages for the stacks.
  static func create(entry: UInt64, argument: UInt64, tier: Tier, promises: Promises, parent: Int32,
                     unveil: UnveilSet, stackPages pages: Int? = nil, user: Bool = false,
                     daemon: Bool = false) throws(Errno) -> Int {
    let stackPages = max(pages ?? Fibers.stackPages, 1)
    guard live < capacity else { throw .eagain }
    // A free written slot from freeHint on, else the first never-written one (slot `used`); a free
    // slot exists since live < capacity, and the wrap to 0 happens only once every slot is written.
    var i = freeHint
    while i < used && table[i].state != .free {
      i = i + 1 == capacity ? 0 : i + 1
    }
    if i >= used { i = used }
    let generation = i < used ? table[i].generation : 0
    guard let stackBase = WildAllocator.allocate(pages: stackPages) else { throw .enomem }
    let stack = Region(base: stackBase, size: UInt64(stackPages) * pageSize)
    var userStack = Region.empty
    if user && userStacks {
      guard let userBase = WildAllocator.allocate(pages: stackPages) else {
        WildAllocator.free(stackBase, pages: stackPages)
        throw .enomem
      }
      userStack = Region(base: userBase, size: stack.size)
    }
    var f = Fiber()
    f.generation = generation &+ 1
    f.state = .ready
    f.tier = tier
    f.promises = promises
    f.parent = parent
    f.entry = entry
    f.argument = argument
    f.stack = stack
    f.userStack = userStack
    f.unveil = unveil
    f.daemon = daemon
    _ = f.partition.add(OwnedRegion(region: userStack.isEmpty ? stack : userStack, kind: .stack, writable: true))
    UnsafeMutablePointer<UInt64>(bitPattern: UInt(stack.base))!.pointee = stackCanary
    if userStack.isEmpty {
      f.sp = rumpk_context_prepare(UnsafeMutableRawPointer(bitPattern: UInt(stack.end)), fiberStart, UInt64(i))
    } else {
      f.sp = rumpk_context_prepare_user(UnsafeMutableRawPointer(bitPattern: UInt(stack.end)),
                                        UnsafeMutableRawPointer(bitPattern: UInt(UserWindows.userAddress(userStack.base) &+ userStack.size)),
                                        unsafeBitCast(UInt(entry), to: (@convention(c) (UInt64) -> Void).self), argument)
    }
    rumpk_context_adopt_if_linked(f.sp, UnsafeMutableRawPointer(bitPattern: UInt(stack.base)), Int(stack.size))
    if i == used {
      (table + i).initialize(to: f)
      used += 1
    } else {
      table[i] = f
    }
    live += 1
    if daemon { daemons += 1 }
    freeHint = i + 1 == capacity ? 0 : i + 1
    return i
  }

  /// Returns everything the fiber owned: grants given and received, mapped pages, the stack.
  /// Assumes the fiber is not running on its stack any more.
  static func reclaim(_ i: Int) {
    rumpk_context_retire_if_linked(table[i].sp)
    Grants.revokeAll(fiber: i, within: nil, received: true)
    for s in 0..<Partition.capacity {
      let slot = table[i].partition.slots[s]
      if slot.kind == .mapped || slot.kind == .stack {
        WildAllocator.free(slot.region.base, pages: Int(slot.region.size / pageSize))
      }
      table[i].partition.remove(at: s)
    }
    if !table[i].userStack.isEmpty {  // the kernel stack was not in the partition
      WildAllocator.free(table[i].stack.base, pages: Int(table[i].stack.size / pageSize))
      table[i].userStack = .empty
    }
    table[i].state = .free
    live -= 1
    if table[i].daemon { daemons -= 1 }
  }
}

/// First code of every fiber (via rumpk_context_prepare): runs the entry, then ends the fiber.
let fiberStart: @convention(c) (UInt64) -> Void = { index in
  Scheduler.afterSwitch()
  let fiber = Fibers.table + Int(index)
  let entry = unsafeBitCast(UInt(fiber.pointee.entry), to: (@convention(c) (UInt64) -> Void).self)
  entry(fiber.pointee.argument)
  Scheduler.exitCurrent(.returned)
}
