// One status record as a line of JSON (docs/decisions/A5-status-channel.md): what the kernel (direct
// mode) or Rumkv (node mode) tells rumpkctl on the status port, a virtio-console that no NPL and no
// cell can reach. Built in a fixed buffer, without a heap, so Rumkv (-no-allocations) and the kernel
// share it. The line is always valid JSON: a value that does not fit is cut, never the syntax.

public struct StatusLine: ~Copyable {
  /// The longest line, "\n" included. rumpkctl refuses longer ones.
  public static let capacity = 256
  /// What `finish` needs at the end: "}\n".
  static let closing = 2

  var bytes = InlineArray<256, UInt8>(repeating: 0)
  public private(set) var count = 0

  /// Starts `{"src":"<source>"`. `source` is "kernel" or "rumkv".
  public init(source: StaticString) {
    append(UInt8(ascii: "{"))
    key("src")
    quoted(source)
  }

  /// Adds `,"key":"value"`. Assumes `key` is plain ASCII without quotes or backslashes.
  public mutating func string(_ key: StaticString, _ value: StaticString) {
    value.withUTF8Buffer { string(key, bytes: UnsafeRawBufferPointer($0)) }
  }

  /// Adds `,"key":"value"` with `value` from outside (a device-tree name, a console line): quotes and
  /// backslashes escaped, bytes outside printable ASCII written as '?'. Cut to what fits; the field
  /// is left out when not even its key fits.
  public mutating func string(_ key: StaticString, bytes value: UnsafeRawBufferPointer) {
    guard room >= key.utf8CodeUnitCount + 6 else { return }
    self.key(key)
    append(UInt8(ascii: "\""))
    for b in value {
      let escaped = b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
      guard room >= (escaped ? 2 : 1) + 1 else { break }
      if escaped { append(UInt8(ascii: "\\")) }
      append(b >= 0x20 && b < 0x7F ? b : UInt8(ascii: "?"))
    }
    append(UInt8(ascii: "\""))
  }

  /// Adds `,"key":N` (decimal). Left out when it does not fit.
  public mutating func number(_ key: StaticString, _ value: UInt64) {
    var digits = InlineArray<20, UInt8>(repeating: 0)
    var n = 0
    var v = value
    repeat {
      digits[n] = 0x30 + UInt8(truncatingIfNeeded: v % 10)
      v /= 10
      n += 1
    } while v != 0
    guard room >= key.utf8CodeUnitCount + 4 + n else { return }
    self.key(key)
    while n > 0 {
      n -= 1
      append(digits[n])
    }
  }

  /// Ends the object and the line. Call once; then hand `withBytes` to the port.
  public mutating func finish() {
    append(UInt8(ascii: "}"))
    append(UInt8(ascii: "\n"))
  }

  /// The line so far.
  public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
    var copy = bytes
    let n = count
    return withUnsafeBytes(of: &copy) { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
  }

  /// Bytes left before the closing "}\n".
  var room: Int { StatusLine.capacity - StatusLine.closing - count }

  /// `"key":` with the comma before it unless it is the first field. Assumes room was checked.
  mutating func key(_ key: StaticString) {
    if count > 1 { append(UInt8(ascii: ",")) }
    quoted(key)
    append(UInt8(ascii: ":"))
  }

  mutating func quoted(_ s: StaticString) {
    append(UInt8(ascii: "\""))
    s.withUTF8Buffer { for b in $0 { append(b) } }
    append(UInt8(ascii: "\""))
  }

  /// Assumes the caller left room (the closing two bytes are always reserved).
  mutating func append(_ b: UInt8) {
    guard count < StatusLine.capacity else { return }
    bytes[count] = b
    count += 1
  }
}
