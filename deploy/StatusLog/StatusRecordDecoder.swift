// Reading the status port (docs/decisions/A5-status-channel.md): each line is one flat JSON object
// that rumpk/Status/StatusLine.swift wrote, in the kernel (direct mode) or in Rumkv (node mode). The
// bytes come from a guest's side of the machine, so the decoder accepts exactly what that encoder
// produces and nothing more: one object per line of at most `maxLine` bytes, string keys, values
// that are strings of printable ASCII (only \" and \\ escaped) or unsigned decimal integers that fit
// 64 bits, no whitespace, no key twice. Anything else is a problem reported with its line number,
// never a crash and never a guess.

/// One value of a record.
public enum StatusValue: Equatable, Sendable {
  case string(String)
  case number(UInt64)
}

/// One decoded line.
public struct StatusRecord: Equatable, Sendable {
  public enum Source: String, Sendable { case kernel, rumkv }
  public var source: Source
  public var event: String
  public var fields: [String: StatusValue]

  public init(source: Source, event: String, fields: [String: StatusValue]) {
    self.source = source
    self.event = event
    self.fields = fields
  }

  public func string(_ key: String) -> String? {
    if case .string(let s)? = fields[key] { return s }
    return nil
  }

  public func number(_ key: String) -> UInt64? {
    if case .number(let n)? = fields[key] { return n }
    return nil
  }

  /// The cell a Rumkv record is about (nil for records about the node or from a kernel).
  public var cell: String? { string("cell") }
  public var code: UInt64? { number("code") }
}

public struct StatusDecodeError: Error, Equatable, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
}

public enum StatusRecordDecoder {
  /// The longest line the encoder writes ("\n" not counted here).
  public static let maxLine = 255

  /// Decodes one line (without its "\n"). Throws with what is wrong.
  public static func decode(_ line: ArraySlice<UInt8>) throws(StatusDecodeError) -> StatusRecord {
    guard line.count <= maxLine else { throw StatusDecodeError("line longer than \(maxLine) bytes") }
    var cursor = Cursor(bytes: line)
    var fields: [String: StatusValue] = [:]
    try cursor.expect(UInt8(ascii: "{"))
    if cursor.peek() == UInt8(ascii: "}") { throw StatusDecodeError("empty object") }
    while true {
      let key = try cursor.string()
      try cursor.expect(UInt8(ascii: ":"))
      let value: StatusValue
      if cursor.peek() == UInt8(ascii: "\"") {
        value = .string(try cursor.string())
      } else {
        value = .number(try cursor.number())
      }
      guard fields.updateValue(value, forKey: key) == nil else { throw StatusDecodeError("key \"\(key)\" twice") }
      guard let next = cursor.next() else { throw StatusDecodeError("object not closed") }
      if next == UInt8(ascii: "}") { break }
      guard next == UInt8(ascii: ",") else { throw StatusDecodeError("expected ',' or '}' at byte \(cursor.offset - 1)") }
    }
    guard cursor.atEnd else { throw StatusDecodeError("bytes after the object") }
    guard case .string(let src)? = fields["src"] else { throw StatusDecodeError("no \"src\" string") }
    guard let source = StatusRecord.Source(rawValue: src) else { throw StatusDecodeError("unknown source \"\(src)\"") }
    guard case .string(let event)? = fields["event"], !event.isEmpty else { throw StatusDecodeError("no \"event\" string") }
    return StatusRecord(source: source, event: event, fields: fields)
  }

  /// A byte reader over one line; every read is bounds-checked.
  struct Cursor {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
      self.bytes = bytes
      index = bytes.startIndex
    }

    var offset: Int { index - bytes.startIndex }
    var atEnd: Bool { index == bytes.endIndex }

    func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    mutating func next() -> UInt8? {
      guard index < bytes.endIndex else { return nil }
      defer { index += 1 }
      return bytes[index]
    }

    mutating func expect(_ byte: UInt8) throws(StatusDecodeError) {
      guard next() == byte else {
        throw StatusDecodeError("expected '\(Character(Unicode.Scalar(byte)))' at byte \(offset - 1)")
      }
    }

    /// A quoted string: printable ASCII, \" and \\ the only escapes.
    mutating func string() throws(StatusDecodeError) -> String {
      try expect(UInt8(ascii: "\""))
      var out: [UInt8] = []
      while true {
        guard let b = next() else { throw StatusDecodeError("string not closed") }
        switch b {
        case UInt8(ascii: "\""):
          return String(decoding: out, as: UTF8.self)
        case UInt8(ascii: "\\"):
          guard let e = next(), e == UInt8(ascii: "\"") || e == UInt8(ascii: "\\") else {
            throw StatusDecodeError("unknown escape at byte \(offset - 1)")
          }
          out.append(e)
        case 0x20..<0x7F:
          out.append(b)
        default:
          throw StatusDecodeError("byte \(b) in a string at byte \(offset - 1)")
        }
      }
    }

    /// An unsigned decimal integer without leading zeros that fits 64 bits.
    mutating func number() throws(StatusDecodeError) -> UInt64 {
      let start = offset
      var value: UInt64 = 0
      var digits = 0
      while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
        _ = next()
        if digits == 1 && value == 0 { throw StatusDecodeError("leading zero at byte \(start)") }
        let (times, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
        guard !o1 && !o2 else { throw StatusDecodeError("number over 64 bits at byte \(start)") }
        value = sum
        digits += 1
      }
      guard digits > 0 else { throw StatusDecodeError("expected a string or a number at byte \(start)") }
      return value
    }
  }
}
