// Bringing the portable kernel up over the memory a platform hands it, and the cell-wide facts the
// syscall layer checks against.

import RumpkABI
import RumpkPlatform

public struct KernelConfiguration {
  /// Kernel-only memory: fiber table, scheduler state, event ring.
  public var bridgehead: Region
  /// Memory for stacks, mapped pages and DMA buffers.
  public var wild: Region
  public var maxFibers: Int
  public var stackPages: Int
  /// Regions every fiber of the cell may read (the image) or write (image data, the NPL heap).
  public var sharedReadOnly: Region
  public var sharedReadWrite: Region
  /// Where fiber entry points may lie (the image's text); spawn refuses any other entry.
  public var executable: Region
  /// NPL fibers run in user mode with a user stack besides their kernel stack (the platform
  /// implements rumpk_context_prepare_user); false: they share the kernel's privilege and stack.
  public var userStacks: Bool
  /// The NPL windows (UserWindows): where NPL code sees its image and Wild. `.none` for both: NPL
  /// code uses kernel addresses. A partition window must alias exactly Wild.
  public var imageWindow: UserWindow
  public var partitionWindow: UserWindow

  public init(bridgehead: Region, wild: Region, maxFibers: Int = 64, stackPages: Int = 1,
              sharedReadOnly: Region = .empty, sharedReadWrite: Region = .empty, executable: Region = .empty,
              userStacks: Bool = false, imageWindow: UserWindow = .none, partitionWindow: UserWindow = .none) {
    self.userStacks = userStacks
    self.imageWindow = imageWindow
    self.partitionWindow = partitionWindow
    self.bridgehead = bridgehead
    self.wild = wild
    self.maxFibers = maxFibers
    self.stackPages = stackPages
    self.sharedReadOnly = sharedReadOnly
    self.sharedReadWrite = sharedReadWrite
    self.executable = executable
  }
}

public enum KernelInitError: Error {
  case bridgeheadTooSmall
  /// The partition window does not alias Wild exactly, or the two windows overlap.
  case windowsDoNotFit
}

public enum Kernel {
  /// Lays out the Bridgehead and Wild, empties the fiber table, scheduler and event ring.
  /// Assumes nothing runs on the kernel yet; may be called again (tests) once the last run ended.
  public static func initialize(_ c: KernelConfiguration) throws(KernelInitError) {
    let a = c.imageWindow, b = c.partitionWindow
    if b.size != 0 && (b.kernel != c.wild.base || b.size != c.wild.size) { throw .windowsDoNotFit }
    if a.size != 0 && b.size != 0 && (Region(base: a.user, size: a.size).overlaps(b.user, b.size)
                                      || Region(base: a.kernel, size: a.size).overlaps(b.kernel, b.size)) {
      throw .windowsDoNotFit
    }
    UserWindows.configure(image: a, partitions: b)
    Fibers.retireLeftovers()
    Bridgehead.initialize(c.bridgehead)
    guard Fibers.initialize(capacity: c.maxFibers),
          DeadlineQueue.initialize(capacity: c.maxFibers),
          Scheduler.initialize(),
          Events.initialize(),
          Grants.initialize(),
          Channels.initialize(),
          WildAllocator.initialize(c.wild) else { throw .bridgeheadTooSmall }
    Fibers.stackPages = max(c.stackPages, 1)
    Fibers.userStacks = c.userStacks && rumpk_context_prepare_user_linked() != 0
    UserMemory.configure(bridgehead: c.bridgehead, sharedReadOnly: c.sharedReadOnly,
                         sharedReadWrite: c.sharedReadWrite, executable: c.executable)
  }

  /// Bridgehead bytes needed for `maxFibers` fibers and a Wild region of `wildBytes`.
  public static func bridgeheadBytes(maxFibers: Int, wildBytes: UInt64) -> UInt64 {
    UInt64(maxFibers) * UInt64(MemoryLayout<Fiber>.stride + 4 + 8 + 64 + 32) + wildBytes / pageSize / 8 + 256 * 1024
  }

  public static var fiberStateBytes: Int { MemoryLayout<Fiber>.stride }
}
