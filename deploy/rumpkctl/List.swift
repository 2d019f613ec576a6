// rumpkctl list: the cells in the state dir and the libvirt state of their nodes.

import ArgumentParser
import Foundation

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the cells in the state directory with their node's libvirt state.")

  @OptionGroup var options: StateOptions

  func run() throws {
    try reportingErrors {
      let deployment = try Deployment(options)
      let connection = try deployment.connect()
      var names = Set(deployment.state.cellNames())
      for domain in try connection.allDomains() { names.insert(domain.name) }
      let rows = try names.sorted().map { try CellStatus.gather(name: $0, state: deployment.state, connection: connection) }
      let width = max(4, rows.map(\.name.count).max() ?? 0)
      print("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  NODE                  CELL")
      for r in rows {
        var node = r.domainState
        if let reason = r.domainReason { node += " (\(reason))" }
        var cell = r.cellState
        if let code = r.haltCode { cell += " (code \(code))" }
        print(r.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
              + node.padding(toLength: 20, withPad: " ", startingAt: 0) + "  " + cell)
      }
    }
  }
}
