// What can go wrong with an ION ring (DESIGN §3.3): setting one up, and a peer breaking the protocol.

/// Why a ring could not be formatted or attached. Nothing was written to shared memory by an attach
/// that throws; a format that throws writes nothing either.
public enum IONSetupError: Error, Equatable, Sendable {
  /// The base address is not 8-byte aligned (cursors are u64 atomics).
  case misaligned
  /// Slot size is not a multiple of 8, is below 16, or does not fit its u32 header field.
  case badSlotSize
  /// Slot count is not a power of two, or does not fit its u32 header field.
  case badSlotCount
  /// The memory is shorter than header + slots (or absent).
  case tooSmall
  /// The header does not start with "ION1".
  case badMagic
  /// head - tail is more than the slot count (or tail is ahead of head).
  case cursorsOutOfRange
}

/// Why a producer or consumer view closed its channel. Every fault but `closedByOwner` means the peer
/// (another thread, core or cell, never trusted) wrote something the protocol does not allow. A closed
/// view stays closed: every further call answers `.closed`.
public enum IONFault: Equatable, Sendable {
  /// The header magic changed after attach.
  case badMagic
  /// The producer's head went backwards, or more than slot count ahead of the tail.
  case headOutOfRange
  /// The consumer's tail went backwards, or ahead of the head.
  case tailOutOfRange
  /// A slot's length is more than slot size - 8.
  case lengthOutOfRange
  /// `close()` was called on this view.
  case closedByOwner
}
