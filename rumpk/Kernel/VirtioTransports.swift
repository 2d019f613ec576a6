// The virtio-mmio transports the board's tree lists: the reg of each "virtio,mmio" node, in tree
// order, as the HAL's one validating pass over the tree found them. The status port looks here
// instead of walking the tree a second time at boot (docs/decisions/A5-status-channel.md). Values
// are the tree's, unchecked: whoever maps one checks it first (BoardValues.device).

public struct VirtioTransportList {
  public static let capacity = 32
  var addresses = InlineArray<32, UInt64>(repeating: 0)
  var sizes = InlineArray<32, UInt64>(repeating: 0)
  public private(set) var count = 0

  public init() {}

  /// Adds one node's reg; a node without a decodable reg, and any past `capacity`, is left out.
  public mutating func append(_ reg: (address: UInt64, size: UInt64)?) {
    guard let reg, count < VirtioTransportList.capacity else { return }
    addresses[count] = reg.address
    sizes[count] = reg.size
    count += 1
  }

  /// Assumes 0 <= i < count.
  public subscript(_ i: Int) -> (address: UInt64, size: UInt64) { (addresses[i], sizes[i]) }
}

public enum VirtioTransports {
  /// Set once by the HAL, from a tree that validated completely; empty without a tree.
  nonisolated(unsafe) public static var board = VirtioTransportList()
}
