// A whole status port capture: the file QEMU's chardev wrote, decoded line by line. How much is read
// is bounded, so a cell that floods its port costs rumpkctl nothing but the bound.

public struct StatusLog: Sendable {
  /// Bytes read from the start of a capture; the rest is reported, not read.
  public static let maxBytes = 1 << 20
  public var records: [StatusRecord] = []
  /// "line N: what is wrong", in order.
  public var problems: [String] = []

  public init() {}

  /// Decodes `bytes` (a capture's first `maxBytes`; `truncated` when there was more). A last line
  /// without "\n" was cut off by the machine's end and is a problem, not a record.
  public init(bytes: [UInt8], truncated: Bool = false) {
    var start = 0
    var number = 1
    while start < bytes.count {
      guard let newline = bytes[start...].firstIndex(of: 10) else {
        problems.append("line \(number): cut off (no end of line)")
        break
      }
      do throws(StatusDecodeError) {
        records.append(try StatusRecordDecoder.decode(bytes[start..<newline]))
      } catch {
        problems.append("line \(number): \(error.message)")
      }
      start = newline + 1
      number += 1
    }
    if truncated { problems.append("more than \(StatusLog.maxBytes) bytes; the rest was not read") }
  }

  /// The first record of `source` whose event is one of `events`.
  public func first(_ source: StatusRecord.Source, _ events: Set<String>) -> StatusRecord? {
    records.first { $0.source == source && events.contains($0.event) }
  }
}
