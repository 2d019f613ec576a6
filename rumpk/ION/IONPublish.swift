// What a producer's publish or reserve answers.

/// The result of publishing one message or a reserved batch.
public enum IONPublish: Equatable, Sendable {
  /// The message (or batch) is visible to the consumer.
  case published
  /// head - tail == slot count: nothing was written; retry after the consumer frees a slot.
  case full
  /// The payload is longer than slot size - 8: nothing was written.
  case tooLarge
  /// The channel is closed (see `IONProducer.closeReason`): nothing was written, nor ever will be.
  case closed
  /// The reservation does not start at the current head (something else was published since it was
  /// made): nothing was published.
  case stale
}

/// The result of reserving slots. Holds a non-copyable reservation token on success, so it is itself
/// non-copyable: switch over it with `switch producer.tryReserve(...) { case .reserved(let r): ... }`.
public enum IONReserve: ~Copyable {
  /// Slots reserved; fill them through the token, then `publish` or `abandon` it.
  case reserved(IONReservation)
  /// No slot free (or, for `tryReserve(exactly:)`, fewer free than asked for).
  case full
  /// The channel is closed.
  case closed
  /// The count asked for is <= 0, or more than the ring holds.
  case invalidCount
}
