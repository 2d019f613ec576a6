// Hosted mode: the same guest sources and the same portable kernel, as a Linux process.

import Foundation
import QEMUHarness
import XCTest

final class HostedTests: XCTestCase {
  func requireHosted(_ guest: String) throws {
    let path = ProjectPaths.root.appendingPathComponent("build/hosted/\(guest)").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
      XCTFail("\(path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("hosted cell missing")
    }
  }

  func testHelloRunsHostedWithTheSameBannerAndHaltCode() throws {
    try requireHosted("hello")
    let r = try CellProcess.run(ProjectPaths.rumpkctl, ["hosted", "hello"], timeout: 30)
    XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    XCTAssertTrue(r.has("rumpk: x86_64 hosted (entered at process)"), r.stdout)
    XCTAssertTrue(r.has("rumpk: SysTable at 0x50000000 magic 0x4B504D52 size 240 abi 1"), r.stdout)
    XCTAssertTrue(r.has("hello: Hello from an NPL, through the SysTable"), r.stdout)
  }

  func testHaltCodeBecomesTheExitStatus() throws {
    try requireHosted("exitcode")
    let r = try CellProcess.run(ProjectPaths.rumpkctl, ["hosted", "exitcode"], timeout: 30)
    XCTAssertEqual(r.status, 7, r.stdout + r.stderr)
  }

  func testUnknownGuestAndMissingBuildAreOneLineErrors() throws {
    var r = try CellProcess.run(ProjectPaths.rumpkctl, ["hosted", "nope"], timeout: 30)
    XCTAssertEqual(r.status, 2)
    XCTAssertTrue(r.stderr.contains("unknown guest 'nope'"), r.stderr)
    r = try CellProcess.run(ProjectPaths.rumpkctl, ["hosted", "hello"], environment: ["RUMPK_BUILD": "/nonexistent"], timeout: 30)
    XCTAssertEqual(r.status, 2)
    XCTAssertTrue(r.stderr.contains("rumpk/build-hosted hello"), r.stderr)
  }
}
