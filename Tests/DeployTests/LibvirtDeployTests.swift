// rumpkctl through real libvirt (the embedded QEMU driver, in a state directory of the test's own):
// start a cell on a Rumkv node, read its status and logs, list it, stop it, start it again.

import Foundation
import QEMUHarness
import XCTest

final class LibvirtDeployTests: XCTestCase {
  var rumkv: URL { buildDir.appendingPathComponent("rumkv/rumkv-aarch64.bin") }

  func requireProducts(_ guests: [String]) throws {
    for guest in guests {
      try requireBuilt(buildDir.appendingPathComponent("images/\(guest)-aarch64.elf"), how: "run `make images`")
    }
    try requireBuilt(rumkv, how: "run `rumkv/build-image aarch64`")
  }

  func json(_ r: CellOutput) throws -> [String: Any] {
    try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
  }

  func testHelloStartsHaltsReportsAndStopsThenStartsAgain() throws {
    try requireProducts(["hello"])
    let ctl = try Rumpkctl.withFreshState("hello")
    defer { ctl.cleanUp(["hello"]) }

    for round in 1...2 {
      let started = try ctl(["start", "cell", "hello"])
      XCTAssertEqual(started.status, 0, "round \(round): \(started.stdout)\(started.stderr)")
      XCTAssertTrue(started.has("started cell hello"), started.stdout)

      let status = try ctl.waitForStatus("hello") { $0["cellState"] as? String == "halted" }
      XCTAssertEqual(status["cellState"] as? String, "halted", "round \(round): \(status)")
      XCTAssertEqual(status["haltCode"] as? Int, 0, "\(status)")
      XCTAssertEqual(status["name"] as? String, "hello")
      XCTAssertEqual(status["domain"] as? String, "hello")
      XCTAssertEqual(status["rumkv"] as? Bool, true, "\(status)")
      XCTAssertTrue(["running", "in shutdown", "shut off"].contains(status["domainState"] as? String ?? ""), "\(status)")

      let human = try ctl(["status", "hello"])
      XCTAssertEqual(human.status, 0, human.stderr)
      XCTAssertTrue(human.has("hello: node ") && human.has("cell halted with code 0"), human.stdout)

      let logs = try ctl(["logs", "hello"])
      XCTAssertEqual(logs.status, 0, logs.stderr)
      XCTAssertTrue(logs.has("rumkv: aarch64 EL2"), logs.stdout)
      XCTAssertTrue(logs.has("hello: Hello from an NPL, through the SysTable"), logs.stdout)
      XCTAssertTrue(logs.has("rumkv: cell hello halted with code 0"), logs.stdout)
      // Each start begins a fresh log: one boot's lines, not two.
      XCTAssertEqual(logs.lines.filter { $0.contains("rumkv: cell hello halted") }.count, 1, logs.stdout)

      let list = try ctl(["list"])
      XCTAssertEqual(list.status, 0, list.stderr)
      XCTAssertTrue(list.lines.contains { $0.hasPrefix("hello ") && $0.contains("halted (code 0)") }, list.stdout)

      let stopped = try ctl(["stop", "hello"])
      XCTAssertEqual(stopped.status, 0, stopped.stdout + stopped.stderr)
      XCTAssertTrue(stopped.has("stopped cell hello"), stopped.stdout)
      XCTAssertEqual(try ctl.qemuProcesses(), [], "QEMU left running after stop")

      let record = try Data(contentsOf: ctl.state.appendingPathComponent("cells/hello/exit.json"))
      let exit = try XCTUnwrap(JSONSerialization.jsonObject(with: record) as? [String: Any])
      XCTAssertEqual(exit["haltCode"] as? Int, 0, "\(exit)")

      let after = try ctl(["status", "hello", "--json"])
      XCTAssertEqual(try json(after)["domainState"] as? String, "undefined", after.stdout)

      let again = try ctl(["stop", "hello"])
      XCTAssertEqual(again.status, 0, "stopping a stopped cell is not an error: \(again.stderr)")
    }
    for file in ["manifest.toml", "node.dtb", "bundle.bin", "rumkv.bin", "domain.xml", "console.log", "console.log.1"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: ctl.state.appendingPathComponent("cells/hello/\(file)").path), file)
    }
  }

  func testNonZeroHaltCodeReachesStatus() throws {
    try requireProducts(["exitcode"])
    let ctl = try Rumpkctl.withFreshState("exitcode")
    defer { ctl.cleanUp(["exitcode"]) }
    let started = try ctl(["start", "cell", "exitcode"])
    XCTAssertEqual(started.status, 0, started.stdout + started.stderr)
    let status = try ctl.waitForStatus("exitcode") { $0["cellState"] as? String == "halted" }
    XCTAssertEqual(status["haltCode"] as? Int, 7, "\(status)")
    XCTAssertEqual(try ctl(["stop", "exitcode"]).status, 0)
  }

  /// A cell that prints Rumkv's words for a clean halt and sleeps: `status` and `stop` read the
  /// management records, so it stays "running" and its exit record holds no halt code.
  func testACellCannotForgeItsStatusOnTheConsole() throws {
    try requireProducts(["forger"])
    let ctl = try Rumpkctl.withFreshState("forger")
    defer { ctl.cleanUp(["forger"]) }
    let started = try ctl(["start", "cell", "forger"])
    XCTAssertEqual(started.status, 0, started.stdout + started.stderr)
    let deadline = Date().addingTimeInterval(30)
    var logs = try ctl(["logs", "forger"])
    while !logs.has("forger: pretending to be done") && Date() < deadline {
      usleep(200_000)
      logs = try ctl(["logs", "forger"])
    }
    XCTAssertTrue(logs.has("rumkv: cell forger halted with code 0"), "the forgery is on the console: \(logs.stdout)")
    let status = try ctl.waitForStatus("forger") { $0["cellState"] as? String == "running" }
    XCTAssertEqual(status["cellState"] as? String, "running", "\(status)")
    XCTAssertNil(status["haltCode"] as? Int, "\(status)")
    let stopped = try ctl(["stop", "forger"])
    XCTAssertEqual(stopped.status, 0, stopped.stdout + stopped.stderr)
    XCTAssertTrue(stopped.stdout.contains("cell running"), stopped.stdout)
    XCTAssertFalse(stopped.stdout.contains("with code"), stopped.stdout)
  }

  /// A node that never halts (its "Rumkv" is one branch-to-self instruction): stop must destroy it.
  func testStopDestroysARunningNode() throws {
    try requireProducts(["hello"])
    let fake = FileManager.default.temporaryDirectory.appendingPathComponent("rumpkctl-loop-\(UUID().uuidString.prefix(8))")
    defer { try? FileManager.default.removeItem(at: fake) }
    try FileManager.default.createDirectory(at: fake.appendingPathComponent("rumkv"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: fake.appendingPathComponent("images"), withIntermediateDirectories: true)
    try Data([0x00, 0x00, 0x00, 0x14]).write(to: fake.appendingPathComponent("rumkv/rumkv-aarch64.bin"))  // b .
    try FileManager.default.copyItem(at: buildDir.appendingPathComponent("images/hello-aarch64.elf"),
                                     to: fake.appendingPathComponent("images/hello-aarch64.elf"))
    var ctl = try Rumpkctl.withFreshState("running")
    ctl.environment["RUMPK_BUILD"] = fake.path
    defer { ctl.cleanUp(["hello"]) }

    XCTAssertEqual(try ctl(["start", "cell", "hello"]).status, 0)
    let status = try ctl(["status", "hello", "--json"])
    XCTAssertEqual(try json(status)["domainState"] as? String, "running", status.stdout)
    XCTAssertEqual(try ctl.qemuProcesses().count, 1)

    let twice = try ctl(["start", "cell", "hello"])
    XCTAssertEqual(twice.status, 2)
    XCTAssertTrue(twice.stderr.contains("already running"), twice.stderr)

    let stopped = try ctl(["stop", "hello"])
    XCTAssertEqual(stopped.status, 0, stopped.stderr)
    XCTAssertTrue(stopped.has("node was running"), stopped.stdout)
    XCTAssertEqual(try ctl.qemuProcesses(), [], "QEMU left running after stop")
    let record = try String(contentsOf: ctl.state.appendingPathComponent("cells/hello/exit.json"), encoding: .utf8)
    XCTAssertTrue(record.contains("\"domainStateBeforeStop\" : \"running\""), record)
  }
}
