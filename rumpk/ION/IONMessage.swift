// What a consumer sees of one message, and what its consume calls answer.

/// One received message: a view into the ring slot, valid only inside the closure it is handed to
/// (after that the slot may be reused by the producer). `payload.count` has been checked against the
/// slot size; the bytes themselves are peer data.
public struct IONMessage {
  public let type: UInt32
  public let payload: UnsafeRawBufferPointer
  /// The message's sequence number (its position in the stream).
  public let sequence: UInt64

  @inlinable
  init(type: UInt32, payload: UnsafeRawBufferPointer, sequence: UInt64) {
    self.type = type
    self.payload = payload
    self.sequence = sequence
  }
}

/// The result of a closure-based or batched consume.
public enum IONPoll: Equatable, Sendable {
  /// This many messages were handed to the closure and released with one tail store (>= 1, or 0
  /// when asked for 0).
  case consumed(Int)
  /// No message is waiting.
  case empty
  /// The channel is closed (see `IONConsumer.closeReason`); no further message will be delivered.
  case closed
}

/// The result of consuming one message into a caller buffer.
public enum IONReceive: Equatable, Sendable {
  /// `length` payload bytes were copied to the front of the buffer and the slot was released.
  case message(type: UInt32, length: Int)
  /// No message is waiting.
  case empty
  /// The next message has `length` bytes, more than the buffer holds; it was left in the ring.
  case bufferTooSmall(length: Int)
  /// The channel is closed.
  case closed
}
