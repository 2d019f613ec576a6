// rumpkctl status NAME [--json]: libvirt's state of the cell's node and the cell's last report.

import ArgumentParser
import Foundation

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a cell's node state (libvirt) and what the cell last reported (halt code, faults).")

  @Argument(help: "The cell's name.")
  var name: String

  @Flag(help: "Print one JSON object instead of a line.")
  var json = false

  @OptionGroup var options: StateOptions

  func run() throws {
    try reportingErrors {
      let deployment = try Deployment(options)
      let files = deployment.state.cell(name)
      let connection = try deployment.connect()
      let status = try CellStatus.gather(name: name, state: deployment.state, connection: connection)
      guard status.domainState != "undefined" || files.exists else {
        throw UserError("no cell '\(name)' in \(deployment.state.root.path); start it with: rumpkctl start cell \(name)")
      }
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(status), as: UTF8.self))
      } else {
        print(status.summary)
        if let detail = status.detail { print("  \(detail)") }
      }
    }
  }
}
