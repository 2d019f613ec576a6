// rumpkctl stop NAME: destroy the cell's node if it runs, undefine it, and record how the run ended
// in the state dir (the console log stays). Stopping a cell that does not run is not an error.

import ArgumentParser
import Foundation
import StatusLog

struct Stop: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Stop a cell: destroy its node if running, undefine it, keep its logs and an exit record.")

  @Argument(help: "The cell's name.")
  var name: String

  @OptionGroup var options: StateOptions

  func run() throws {
    try reportingErrors {
      let deployment = try Deployment(options)
      let connection = try deployment.connect()
      let files = deployment.state.cell(name)
      guard let domain = connection.domain(named: Deployment.domainName(cell: name)) else {
        print(files.exists ? "cell \(name) is not defined; nothing to stop" : "no cell '\(name)'; nothing to stop")
        return
      }
      try domain.waitUntilControllable()
      let before = try domain.state()
      if before.isActive { try domain.destroy() }
      try domain.undefine()

      let report = CellReport.from(StatusPortFile.read(files.managementLog), cell: name)
      if files.exists {
        try ExitRecord(stoppedAt: isoNow(), domainStateBeforeStop: before.description, cellState: report.state,
                       haltCode: report.haltCode, detail: report.detail).write(files.exitRecord)
      }
      var line = "stopped cell \(name) (node was \(before.description)); cell \(report.state)"
      if let code = report.haltCode { line += " with code \(code)" }
      print(line)
    }
  }
}
