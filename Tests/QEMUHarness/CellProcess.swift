// Test harness: runs a command that boots a cell (rumpkctl, QEMU, Rumkv), with a timeout, and hands
// back its exit status and console lines for assertions.

import Foundation
import StatusLog

public struct CellOutput {
  public var status: Int32
  public var stdout: String
  public var stderr: String
  public var timedOut: Bool
  /// The status port's records, when the run had one (docs/decisions/A5-status-channel.md).
  public var records = StatusLog()

  /// The code of the first "halted" record (Rumkv's about a cell, or the kernel's in direct mode).
  public var haltCode: UInt64? { records.records.first { $0.event == "halted" }?.code }
  /// Rumkv's own code in its "off" record.
  public var offCode: UInt64? { records.first(.rumkv, ["off"])?.code }
  /// The first record with `event`.
  public func record(_ event: String) -> StatusRecord? { records.records.first { $0.event == event } }

  public var lines: [String] {
    stdout.split(whereSeparator: \.isNewline).map(String.init)  // "\r\n" is one Character
  }

  /// True when some console line contains `text`.
  public func has(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}

public enum CellProcess {
  /// Runs `executable` with `arguments` and `environment` additions, kills it after `timeout`
  /// seconds. Output is collected through files so a chatty child never blocks on a full pipe.
  public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                         timeout: TimeInterval = 60) throws -> CellOutput {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cell-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
      if Date() >= deadline {
        timedOut = true
        process.terminate()
        break
      }
      usleep(10_000)
    }
    process.waitUntilExit()
    try out.close()
    try err.close()
    return CellOutput(
      status: process.terminationStatus,
      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
      timedOut: timedOut)
  }
}

/// Paths of the project and its build products, seen from a test bundle.
public enum ProjectPaths {
  /// The checkout root: the folder above Tests/ that holds Package.swift.
  public static var root: URL {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("no Package.swift above \(#filePath)")
  }

  /// The folder SwiftPM put the test bundle and the executables in.
  public static var products: URL {
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
      return bundle.bundleURL.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL
  }

  public static var rumpkctl: String { products.appendingPathComponent("rumpkctl").path }

  public static func image(_ guest: String, _ arch: String) -> URL {
    root.appendingPathComponent("build/images/\(guest)-\(arch).elf")
  }
}
