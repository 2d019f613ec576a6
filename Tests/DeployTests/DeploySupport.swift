// Test support: runs rumpkctl as a subprocess against a state directory the test makes itself.

import Foundation
import QEMUHarness
import XCTest

struct Rumpkctl {
  let state: URL
  var environment: [String: String] = [:]

  /// A fresh, empty state directory under the temporary folder.
  static func withFreshState(_ label: String) throws -> Rumpkctl {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rumpkctl-\(label)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return Rumpkctl(state: dir)
  }

  func callAsFunction(_ args: [String], timeout: TimeInterval = 60) throws -> CellOutput {
    try CellProcess.run(ProjectPaths.rumpkctl, args + ["--state", state.path], environment: environment, timeout: timeout)
  }

  /// Polls `status NAME --json` until `done` holds (or `timeout` seconds pass); returns the last.
  func waitForStatus(_ name: String, timeout: TimeInterval = 30,
                     until done: ([String: Any]) -> Bool) throws -> [String: Any] {
    let deadline = Date().addingTimeInterval(timeout)
    var last: [String: Any] = [:]
    while Date() < deadline {
      let r = try self(["status", name, "--json"])
      if r.status == 0, let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] {
        last = obj
        if done(obj) { return obj }
      }
      usleep(200_000)
    }
    return last
  }

  /// QEMU processes whose command line names this state directory.
  func qemuProcesses() throws -> [String] {
    let r = try CellProcess.run("/usr/bin/pgrep", ["-af", "qemu-system-.*\(state.path)"], timeout: 10)
    return r.lines
  }

  /// Stops whatever a failed test left running, and removes the state directory.
  func cleanUp(_ cells: [String]) {
    for cell in cells { _ = try? self(["stop", cell], timeout: 30) }
    try? FileManager.default.removeItem(at: state)
  }
}

/// Fails (not skips) when a build product the test needs is missing.
func requireBuilt(_ url: URL, how: String, file: StaticString = #filePath, line: UInt = #line) throws {
  guard FileManager.default.fileExists(atPath: url.path) else {
    XCTFail("\(url.path) is missing: \(how)", file: file, line: line)
    throw XCTSkip("build product missing")
  }
}

/// The build folder rumpkctl will use: $RUMPK_BUILD (passed through to it), else <root>/build.
var buildDir: URL {
  if let env = ProcessInfo.processInfo.environment["RUMPK_BUILD"], !env.isEmpty { return URL(fileURLWithPath: env) }
  return ProjectPaths.root.appendingPathComponent("build")
}
