// Cell manifests that rumpkctl must refuse, each with one line naming the file, the key and the
// problem, before it touches libvirt.

import Foundation
import QEMUHarness
import XCTest

final class ManifestErrorTests: XCTestCase {
  let good = """
    [cell]
    name = "hello"
    guest = "hello"
    arch = "aarch64"
    memory = 64
    cpus = 1
    restart = "never"

    """

  /// Writes `text` as a manifest and runs `start cell hello --manifest` on it; returns stderr's line.
  func refuse(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> (path: String, message: String) {
    let ctl = try Rumpkctl.withFreshState("manifest")
    defer { try? FileManager.default.removeItem(at: ctl.state) }
    let path = ctl.state.appendingPathComponent("hello.toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try ctl(["start", "cell", "hello", "--manifest", path], timeout: 30)
    XCTAssertEqual(r.status, 2, r.stdout + r.stderr, file: file, line: line)
    let lines = r.stderr.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, "expected one line: \(r.stderr)", file: file, line: line)
    XCTAssertFalse(FileManager.default.fileExists(atPath: ctl.state.appendingPathComponent("libvirt").path),
                   "a refused manifest must not reach libvirt", file: file, line: line)
    return (path, r.stderr.trimmingCharacters(in: .newlines))
  }

  func testWrongTypeNamesFileKeyAndValue() throws {
    let (path, message) = try refuse(good.replacingOccurrences(of: "memory = 64", with: "memory = \"lots\""))
    XCTAssertEqual(message, "rumpkctl: \(path): key 'memory': expected an integer number of MiB, got \"lots\"")
  }

  func testUnknownKeyIsAnError() throws {
    let (path, message) = try refuse(good + "memroy = 128\n")
    XCTAssertTrue(message.hasPrefix("rumpkctl: \(path): key 'memroy': unknown key in [cell]; known keys: "), message)
    XCTAssertTrue(message.contains("memory"), message)
  }

  func testUnknownTableIsAnError() throws {
    let (path, message) = try refuse(good + "[nodes]\nmemory = 1024\n")
    XCTAssertTrue(message.hasPrefix("rumpkctl: \(path): key 'nodes': unknown key in the top level"), message)
  }

  func testMissingRequiredKey() throws {
    let (path, message) = try refuse(good.replacingOccurrences(of: "guest = \"hello\"\n", with: ""))
    XCTAssertEqual(message, "rumpkctl: \(path): key 'guest': missing (required)")
  }

  func testMissingCellTable() throws {
    let (path, message) = try refuse("[node]\nmemory = 1024\n")
    XCTAssertEqual(message, "rumpkctl: \(path): key 'cell': missing (required)")
  }

  func testInvalidArch() throws {
    let (path, message) = try refuse(good.replacingOccurrences(of: "\"aarch64\"", with: "\"x86_64\""))
    XCTAssertEqual(message, "rumpkctl: \(path): key 'arch': expected one of aarch64, riscv64, got \"x86_64\"")
  }

  func testUnknownGuestListsTheKnownOnes() throws {
    let (path, message) = try refuse(good.replacingOccurrences(of: "guest = \"hello\"", with: "guest = \"nosuch\""))
    XCTAssertTrue(message.hasPrefix("rumpkctl: \(path): key 'guest': guest \"nosuch\" does not exist; known guests: "), message)
    XCTAssertTrue(message.contains("hello") && message.contains("exitcode"), message)
  }

  func testInvalidRestartPolicy() throws {
    let (path, message) = try refuse(good.replacingOccurrences(of: "\"never\"", with: "\"sometimes\""))
    XCTAssertEqual(message, "rumpkctl: \(path): key 'restart': expected one of never, on-failure, always, got \"sometimes\"")
  }

  func testNodeMemoryTooSmall() throws {
    let (path, message) = try refuse(good + "[node]\nmemory = 256\n")
    XCTAssertTrue(message.hasPrefix("rumpkctl: \(path): key 'node.memory': expected an even number of MiB from 1024"), message)
  }

  func testNotTOML() throws {
    let (path, message) = try refuse("[cell\nname = \n")
    XCTAssertTrue(message.hasPrefix("rumpkctl: \(path): not valid TOML at line 1"), message)
  }

  func testNameMustMatchTheCommand() throws {
    let (path, message) = try refuse(good.replacingOccurrences(of: "name = \"hello\"", with: "name = \"other\""))
    XCTAssertEqual(message, "rumpkctl: \(path): key 'name': the manifest names cell \"other\", not \"hello\"")
  }

  func testMissingManifestNamesTheCellsThatHaveOne() throws {
    let ctl = try Rumpkctl.withFreshState("manifest")
    defer { try? FileManager.default.removeItem(at: ctl.state) }
    let r = try ctl(["start", "cell", "no-such-cell"], timeout: 30)
    XCTAssertEqual(r.status, 2)
    XCTAssertTrue(r.stderr.contains("deploy/cells/no-such-cell.toml does not exist") && r.stderr.contains("hello"), r.stderr)
  }
}
