// The NPL windows: the addresses NPL code sees. Window A holds the NPL image (text, rodata, data,
// bss, NPL heap); window B is an alias of Wild, where every fiber's partition lives (user stack,
// mapped pages, named channels, grants). The kernel works with its own addresses (identity on
// metal, where DMA needs them) and translates at the boundary only: pointers an NPL passes in
// (UserMemory), addresses it is handed (map, its stack pointer). A platform that has no windows
// configures none, and user and kernel addresses are the same (hosted cells, cells built before
// the HAL maps windows). docs/decisions/K9-npl-windows.md.

/// `size` bytes seen by NPL code at `user` and by the kernel at `kernel`.
public struct UserWindow: Equatable, Sendable {
  public var user: UInt64
  public var kernel: UInt64
  public var size: UInt64

  public init(user: UInt64, kernel: UInt64, size: UInt64) {
    self.user = user
    self.kernel = kernel
    self.size = size
  }

  public static let none = UserWindow(user: 0, kernel: 0, size: 0)

  /// The kernel address of user range [address, address+length) when it lies inside the window.
  /// Assumes address+length does not wrap.
  @inline(__always)
  func kernelAddress(_ address: UInt64, _ length: UInt64) -> UInt64? {
    guard size != 0, address >= user, address &- user <= size, length <= size &- (address &- user) else { return nil }
    return kernel &+ (address &- user)
  }

  @inline(__always)
  func userAddress(_ address: UInt64) -> UInt64? {
    guard size != 0, address >= kernel, address &- kernel < size else { return nil }
    return user &+ (address &- kernel)
  }
}

public enum UserWindows {
  nonisolated(unsafe) public private(set) static var image = UserWindow.none
  nonisolated(unsafe) public private(set) static var partitions = UserWindow.none
  nonisolated(unsafe) public private(set) static var enabled = false

  /// Windows for the cell from now on; two `.none`s turn translation off. Assumes the windows do
  /// not overlap each other in either address space and nothing of the old setting is live.
  public static func configure(image a: UserWindow, partitions b: UserWindow) {
    image = a
    partitions = b
    enabled = a.size != 0 || b.size != 0
  }

  /// Where the kernel reaches user range [address, address+length): inside one window, its alias;
  /// nil for a range outside the windows (or straddling one's edge) while windows are on; the
  /// address itself while they are off. Assumes address+length does not wrap.
  @inline(__always)
  public static func kernelAddress(_ address: UInt64, _ length: UInt64) -> UInt64? {
    guard enabled else { return address }
    return image.kernelAddress(address, length) ?? partitions.kernelAddress(address, length)
  }

  /// The address NPL code uses for kernel address `address`. Assumes it lies in a window (Wild or
  /// the NPL image) while windows are on; any other address is returned unchanged.
  @inline(__always)
  public static func userAddress(_ address: UInt64) -> UInt64 {
    guard enabled else { return address }
    return partitions.userAddress(address) ?? image.userAddress(address) ?? address
  }
}
