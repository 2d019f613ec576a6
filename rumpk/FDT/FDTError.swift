// Errors of the device-tree reader and writer: one small enum, thrown with typed throws so Embedded
// builds never box an existential.

public enum FDTError: Error, Equatable {
  /// The header, a block or a token runs past the bytes available.
  case truncated
  case badMagic
  /// version < 16, or last_comp_version > 17.
  case badVersion
  /// A block offset or size lies outside totalsize, or is misaligned.
  case badOffset
  /// An unknown structure token, or a token at an unaligned offset.
  case badToken
  /// Tokens in an impossible order: unbalanced nodes, a missing END, a property outside a node or
  /// after a child node, a second root; for the writer, a call made out of order.
  case badStructure
  /// A name without its NUL inside its block, a string offset outside the strings block, or a
  /// name the writer refuses (empty, or containing NUL or '/').
  case badString
  /// Nodes nested deeper than FDT.maxDepth.
  case tooDeep
  /// The writer's output buffer is full.
  case noSpace
  case notFound
}

extension FDTError {
  /// The case and what it means, for a refusal message.
  public var reason: StaticString {
    switch self {
    case .truncated: "truncated (a block runs past totalsize)"
    case .badMagic: "no FDT magic"
    case .badVersion: "unsupported version"
    case .badOffset: "a block offset or size is out of bounds"
    case .badToken: "unknown or misaligned token"
    case .badStructure: "tokens out of order"
    case .badString: "a name without its NUL or a bad string offset"
    case .tooDeep: "nested too deep"
    case .noSpace: "no space"
    case .notFound: "not found"
    }
  }
}
