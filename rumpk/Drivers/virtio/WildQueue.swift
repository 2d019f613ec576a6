// A virtqueue in a page of the kernel's Wild partition: what every kernel driver uses.

import RumpkKernel
import VirtioCore

extension Virtqueue {
  /// Queue `index` of `transport` (at most `limit` entries) in a fresh Wild page. Nil when the
  /// queue does not exist or Wild has no page; nothing stays allocated then.
  static func make(_ transport: VirtioMMIO, index: UInt32, limit: Int) -> Virtqueue? {
    guard let page = WildAllocator.allocate(pages: 1) else { return nil }
    guard let queue = Virtqueue.make(transport, index: index, limit: limit, page: page) else {
      _ = WildAllocator.free(page, pages: 1)
      return nil
    }
    return queue
  }
}
