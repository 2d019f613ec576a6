// What a cell last reported, read from its node's console log. Rumkv prints one line per event
// about a cell ("rumkv: cell NAME halted with code N", "rumkv: cell NAME status ready",
// "rumkv: cell NAME stage-2 fault at IPA ...") and refuses a bad node with "rumkv: /rumkv...";
// a cell's own kernel prints "rumpk: ..." lines (its banner, an exception).

import Foundation

struct CellReport: Equatable, Sendable {
  /// What the log says the cell is: "no output", "booting", "running", "ready", "degraded",
  /// "halted", "faulted", "refused" (Rumkv refused the node configuration or the cell).
  var state: String = "no output"
  var haltCode: Int?
  /// The line behind a fault or a refusal.
  var detail: String?
  /// Whether Rumkv printed its banner (the node booted Rumkv, not a bare cell).
  var rumkvSeen = false
}

enum ConsoleLog {
  static func read(_ url: URL) -> String {
    guard let data = FileManager.default.contents(atPath: url.path) else { return "" }
    return String(decoding: data, as: UTF8.self)
  }

  static func lines(_ text: String) -> [String] {
    // isNewline, not == "\n": the serial console ends lines with "\r\n", a single Character.
    text.split(whereSeparator: \.isNewline).map(String.init)
  }

  /// The cell's last reported state, from the lines in order (a later line wins).
  static func report(cell name: String, log text: String) -> CellReport {
    var r = CellReport()
    let prefix = "rumkv: cell \(name) "
    for line in lines(text) {
      if line.hasPrefix("rumkv: ") { r.rumkvSeen = true }
      if line.hasPrefix(prefix) {
        let event = String(line.dropFirst(prefix.count))
        if event.hasPrefix("halted with code "), let code = Int(event.dropFirst("halted with code ".count).prefix { $0.isNumber }) {
          r.state = "halted"
          r.haltCode = code
        } else if event.hasPrefix("status ") {
          r.state = String(event.dropFirst("status ".count).prefix { !$0.isWhitespace })
        } else if event.hasPrefix("stage-2 fault") || event.contains("fault") {
          r.state = "faulted"
          r.detail = line
        } else if event.hasPrefix("requested a reset") {
          r.state = "halted"
          r.detail = line
          if let code = Int(event.split(separator: " ").last ?? "") { r.haltCode = code }
        } else if r.state == "no output" {
          r.state = "booting"
        }
      } else if line.hasPrefix("rumkv: /rumkv") || line.contains(" refused: ") {
        r.state = "refused"
        r.detail = line
      } else if line.hasPrefix("rumkv: ") {
        if r.state == "no output" { r.state = "booting" }
      } else if line.hasPrefix("rumpk: exception") {
        r.state = "faulted"
        r.detail = line
      } else if line.hasPrefix("rumpk: ") {
        if ["no output", "booting"].contains(r.state) { r.state = "running" }
      }
    }
    return r
  }
}
