// A cell's status: libvirt's view of its node (running, shut off, ...) joined with what Rumkv last
// reported about the cell on its management port (never the console, which the cell writes), and the
// record `stop` left of the last run.

import Foundation
import StatusLog

struct CellStatus: Codable, Equatable {
  var name: String
  /// The libvirt domain of its node.
  var domain: String
  /// libvirt's state ("running", "shut off", ...), or "undefined" when no domain exists.
  var domainState: String
  /// Why it is shut off ("shutdown", "destroyed", ...), when it is.
  var domainReason: String?
  /// What the cell last reported (see CellReport.state).
  var cellState: String
  var haltCode: Int?
  var detail: String?
  /// Whether Rumkv wrote management records for this node.
  var rumkv: Bool
  var consoleLog: String
  /// When `stop` recorded the last run's end (ISO 8601), if it did.
  var stoppedAt: String?

  static func gather(name: String, state: StateDir, connection: LibvirtConnection?) throws -> CellStatus {
    let files = state.cell(name)
    let domainName = Deployment.domainName(cell: name)
    var domainState = "undefined"
    var reason: String? = nil
    if let connection, let domain = connection.domain(named: domainName) {
      try domain.waitUntilControllable()
      let s = try domain.state()
      domainState = s.name
      reason = s.shutoffReason
    }
    let report = CellReport.from(StatusPortFile.read(files.managementLog), cell: name)
    var status = CellStatus(name: name, domain: domainName, domainState: domainState, domainReason: reason,
                            cellState: report.state, haltCode: report.haltCode, detail: report.detail,
                            rumkv: report.rumkvSeen, consoleLog: files.consoleLog.path, stoppedAt: nil)
    if domainState == "undefined", let record = ExitRecord.read(files.exitRecord) {
      status.stoppedAt = record.stoppedAt
    }
    return status
  }

  /// One line for people: "hello: shut off (shutdown), cell halted with code 0".
  var summary: String {
    var s = "\(name): node \(domainState)"
    if let domainReason { s += " (\(domainReason))" }
    s += ", cell \(cellState)"
    if let haltCode { s += " with code \(haltCode)" }
    if let stoppedAt { s += ", stopped at \(stoppedAt)" }
    return s
  }
}

/// What `stop` writes to <state>/cells/NAME/exit.json: the status at the moment it stopped the node.
struct ExitRecord: Codable {
  var stoppedAt: String
  /// libvirt's state when stop was called: "running" means stop destroyed it.
  var domainStateBeforeStop: String
  var cellState: String
  var haltCode: Int?
  var detail: String?

  static func read(_ url: URL) -> ExitRecord? {
    guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
    return try? JSONDecoder().decode(ExitRecord.self, from: data)
  }

  func write(_ url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(self).write(to: url)
  }
}

func isoNow() -> String {
  let f = ISO8601DateFormatter()
  return f.string(from: Date())
}
