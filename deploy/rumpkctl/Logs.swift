// rumpkctl logs NAME [-f]: the node's console log (Rumkv's lines and the cell's own output).
// With -f it keeps printing new lines until the node's QEMU ends (or Ctrl-C).

import ArgumentParser
import Foundation

struct Logs: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a cell's console log; -f follows it while the node runs.")

  @Argument(help: "The cell's name.")
  var name: String

  @Flag(name: .shortAndLong, help: "Follow: print new output as it arrives, until the node stops.")
  var follow = false

  @Flag(help: "Print the previous run's log instead.")
  var previous = false

  @OptionGroup var options: StateOptions

  func run() throws {
    try reportingErrors {
      let deployment = try Deployment(options)
      let files = deployment.state.cell(name)
      let url = previous ? files.previousConsoleLog : files.consoleLog
      guard let handle = FileHandle(forReadingAtPath: url.path) else {
        throw UserError("no console log for cell '\(name)' (\(url.path)); start it with: rumpkctl start cell \(name)")
      }
      defer { try? handle.close() }
      let out = FileHandle.standardOutput
      out.write(handle.readDataToEndOfFile())
      guard follow, !previous else { return }
      // Reading the pid file needs no libvirt connection, so `logs -f` never holds the driver root
      // that other rumpkctl commands need.
      let node = QEMUProcess(state: deployment.state, domain: Deployment.domainName(cell: name))
      var idle = 0
      while true {
        let data = handle.readDataToEndOfFile()
        if !data.isEmpty { out.write(data); idle = 0; continue }
        if !deployment.isEmbedded || node.isRunning { idle = 0 } else { idle += 1 }
        if idle >= 2 { return }  // QEMU is gone and the log has been drained twice
        usleep(200_000)
      }
    }
  }
}

/// The node's QEMU process, found through the pid file the embedded driver keeps under its root.
struct QEMUProcess {
  let state: StateDir
  let domain: String

  var pidFile: URL { state.libvirtRoot.appendingPathComponent("run/qemu/\(domain).pid") }

  var pid: pid_t? {
    guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
          let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
    return pid
  }

  var isRunning: Bool {
    guard let pid else { return false }
    if kill(pid, 0) != 0 { return false }
    // A zombie still answers kill(0): check its state in /proc.
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[close...].hasPrefix(") Z")
  }
}
