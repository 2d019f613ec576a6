// libFuzzer target: the management-channel / status-port decoder (deploy/StatusLog) that rumpkctl
// runs on bytes a machine wrote, and the encoder (rumpk/Status) the kernel and Rumkv write with.
// Checked promises: a whole capture decodes into records and problems without a crash, one per
// line; an accepted line has a known source and an event; and whatever bytes the encoder is given
// as a value (a device-tree name, a console line), its line decodes, with the value cut, never the
// syntax.

import StatusLog
import StatusRecord

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when the decoder or the encoder breaks a documented promise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStatus(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let input = UnsafeRawBufferPointer(start: data, count: size)
  decodeCapture(Array(input))
  encodeAndDecode(input)
  return 0
}

/// Assumes nothing about `bytes`. Decodes them as a capture and checks every line is accounted for.
func decodeCapture(_ bytes: [UInt8]) {
  let log = StatusLog(bytes: bytes, truncated: false)
  let lines = bytes.filter { $0 == 10 }.count + (bytes.last.map { $0 != 10 } ?? false ? 1 : 0)
  guard log.records.count + log.problems.count == lines else {
    fatalError("\(lines) lines gave \(log.records.count) records and \(log.problems.count) problems")
  }
  for r in log.records {
    guard !r.event.isEmpty, r.fields["src"] == .string(r.source.rawValue), r.fields["event"] == .string(r.event) else {
      fatalError("a record without its source or event: \(r)")
    }
  }
  for p in log.problems where p.contains("\n") { fatalError("a problem spanning lines: \(p.debugDescription)") }
}

/// Assumes nothing about `value`. Guarantees that the encoder's line for a record built as Rumkv's
/// Management.record builds one (a cell name of at most 31 bytes, as NodeConfig allows, then the
/// event, a code, a detail) with `value` as name and detail decodes, the values printable prefixes.
func encodeAndDecode(_ value: UnsafeRawBufferPointer) {
  var code: UInt64 = 0
  for i in 0..<min(8, value.count) { code = code << 8 | UInt64(value[i]) }
  var line = StatusLine(source: "rumkv")
  line.string("cell", bytes: UnsafeRawBufferPointer(rebasing: value.prefix(31)))
  line.string("event", "fault")
  line.number("code", code)
  line.string("detail", bytes: value)
  line.finish()
  let bytes = line.withBytes { Array($0) }
  guard bytes.count <= StatusLine.capacity, bytes.last == 10 else { fatalError("the encoder wrote \(bytes.count) bytes") }
  let record: StatusRecord
  do throws(StatusDecodeError) {
    record = try StatusRecordDecoder.decode(bytes.dropLast()[...])
  } catch {
    fatalError("the decoder refuses the encoder's line (\(error.message)): \(String(decoding: bytes, as: UTF8.self))")
  }
  guard record.source == .rumkv, let cell = record.cell, isPrintablePrefix(cell, of: value) else {
    fatalError("the cell name did not survive: \(record)")
  }
  guard record.event == "fault" else { fatalError("the event changed: \(record.event)") }
  if let detail = record.string("detail"), !isPrintablePrefix(detail, of: value) { fatalError("the detail changed: \(detail)") }
  if let decoded = record.code, decoded != code { fatalError("the code changed: \(decoded) for \(code)") }
}

/// True when `s` is a prefix of `value` with every byte outside printable ASCII written as '?'.
func isPrintablePrefix(_ s: String, of value: UnsafeRawBufferPointer) -> Bool {
  let utf8 = Array(s.utf8)
  guard utf8.count <= value.count else { return false }
  for (i, b) in utf8.enumerated() where b != (value[i] >= 0x20 && value[i] < 0x7F ? value[i] : UInt8(ascii: "?")) {
    return false
  }
  return true
}
