// What a cell last reported, from its node's management records (docs/decisions/A5-status-channel.md):
// lines Rumkv writes on a virtio-console it keeps for itself. A cell cannot write them, so nothing it
// prints on its console changes what `status` and `stop` say.

import Foundation
import StatusLog

struct CellReport: Equatable, Sendable {
  /// What the records say the cell is: "no output", "booting", "running", "ready", "degraded",
  /// "halted", "faulted", "refused" (Rumkv refused the node configuration or the cell).
  var state: String = "no output"
  var haltCode: Int?
  /// The reason behind a fault, a refusal or a reset, as Rumkv wrote it.
  var detail: String?
  /// Whether Rumkv wrote any record (the node booted Rumkv and its port works).
  var rumkvSeen = false

  /// The cell's state after the records in order (a later record wins, but a halt, fault or
  /// refusal is final). Problems in the log (lines that are not records) are reported in `detail`
  /// only when nothing else explains the state.
  static func from(_ log: StatusLog, cell name: String) -> CellReport {
    var r = CellReport()
    var ended = false
    for record in log.records where record.source == .rumkv {
      r.rumkvSeen = true
      guard !ended else { continue }
      switch (record.cell, record.event) {
      case (nil, "boot"):
        if r.state == "no output" { r.state = "booting" }
      case (nil, "refused"):
        r.state = "refused"
        r.detail = record.string("detail")
        ended = true
      case (nil, "fault"):
        r.state = "faulted"
        r.detail = "Rumkv: " + (record.string("detail") ?? "fault")
        ended = true
      case (name?, "entered"):
        r.state = "running"
      case (name?, "status"):
        r.state = record.string("state") ?? r.state
      case (name?, "halted"):
        r.state = "halted"
        r.haltCode = record.code.map { Int(clamping: $0) }
        ended = true
      case (name?, "reset"):
        r.state = "halted"
        r.haltCode = record.code.map { Int(clamping: $0) }
        r.detail = "the cell asked for a reset; restarting cells is not implemented yet"
        ended = true
      case (name?, "fault"):
        r.state = "faulted"
        r.detail = record.string("detail")
        ended = true
      default:
        break
      }
    }
    if r.detail == nil, let problem = log.problems.first { r.detail = "management log: \(problem)" }
    return r
  }
}
