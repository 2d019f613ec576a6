// Cell manifests (TOML, deploy/cells/NAME.toml): plain values parsed and validated here, with errors
// that name the file, the key and the problem in one line. Today a manifest holds one `[cell]` table
// and an optional `[node]` table (the node that hosts the cell alone); a node manifest will list
// `[[cells]]` tables with the same keys, parsed by the same `CellManifest.parse(table:at:)`.

import Foundation
import TOMLKit

/// What a cell is: which guest image it runs and what it owns on its node.
public struct CellManifest: Equatable, Sendable {
  public var name: String
  public var guest: String
  public var arch: Arch
  /// The cell's RAM window, MiB.
  public var memoryMiB: Int
  /// Physical CPUs the cell owns.
  public var cpus: Int
  public var restart: RestartPolicy
}

/// What rumpkctl does when a cell ends. Parsed and validated now; acted on by `monitor` later.
public enum RestartPolicy: String, CaseIterable, Sendable {
  case never
  case onFailure = "on-failure"
  case always
}

/// The node (one libvirt domain running Rumkv) that hosts the cells.
public struct NodeSettings: Equatable, Sendable {
  /// The board's RAM, MiB. Rumkv is linked at 0x70000000, so the board needs RAM past it.
  public var memoryMiB: Int = NodeSettings.defaultMemoryMiB

  public static let defaultMemoryMiB = 1024
  public static let minimumMemoryMiB = 1024
  public static let maximumMemoryMiB = 16384

  public init() {}
}

/// A manifest for one cell that runs alone on its own node.
public struct CellDeployment: Equatable, Sendable {
  public var cell: CellManifest
  public var node: NodeSettings
  /// Where it was read from (for messages and the state record).
  public var file: String
}

/// A manifest problem: `FILE: key 'KEY': PROBLEM` (or `FILE: PROBLEM` when no key is involved).
public struct ManifestError: Error, Equatable, CustomStringConvertible {
  public var file: String
  public var key: String?
  public var problem: String

  public init(file: String, key: String?, problem: String) {
    self.file = file
    self.key = key
    self.problem = problem
  }

  public var description: String {
    if let key { return "\(file): key '\(key)': \(problem)" }
    return "\(file): \(problem)"
  }
}

/// What the parser checks names against.
public struct ManifestContext: Sendable {
  /// Guests that exist in the project (folders of guests/).
  public var knownGuests: [String]
  /// Architectures `start` can deploy today.
  public var deployableArches: [Arch]

  public init(knownGuests: [String], deployableArches: [Arch] = [.aarch64]) {
    self.knownGuests = knownGuests
    self.deployableArches = deployableArches
  }
}

extension CellDeployment {
  /// Reads and validates a cell manifest file.
  public static func load(_ url: URL, displayPath: String, context: ManifestContext) throws(ManifestError) -> CellDeployment {
    let text: String
    do {
      text = try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw ManifestError(file: displayPath, key: nil, problem: "cannot read the manifest (\(describeFileError(error)))")
    }
    return try parse(text, file: displayPath, context: context)
  }

  /// Parses the text of a cell manifest: `[cell]` (required) and `[node]` (optional).
  public static func parse(_ text: String, file: String, context: ManifestContext) throws(ManifestError) -> CellDeployment {
    if let found = TOMLPreflight.firstProblem(in: text) {
      throw ManifestError(file: file, key: nil, problem: "not valid TOML at line \(found.line): \(found.problem)")
    }
    let root: TOMLTable
    do {
      root = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw ManifestError(file: file, key: nil,
                          problem: "not valid TOML at line \(error.source.begin.line): \(escaped(error.description, quotes: false))")
    } catch {
      throw ManifestError(file: file, key: nil, problem: "not valid TOML: \(escaped("\(error)", quotes: false))")
    }
    var top = TableReader(root, file: file, path: nil, place: "the top level")
    let cellTable = try top.table("cell", required: true)!
    let nodeTable = try top.table("node", required: false)
    try top.rejectUnknownKeys()

    let cell = try CellManifest.parse(table: cellTable, at: "cell", file: file, context: context)
    var node = NodeSettings()
    if let nodeTable {
      node = try NodeSettings.parse(table: nodeTable, at: "node", file: file)
    }
    return CellDeployment(cell: cell, node: node, file: file)
  }
}

extension CellManifest {
  public static let maxNameLength = 31  // a cell's name is also its bundle entry name (A2)

  /// Parses one cell table. `path` is where the table sits (`cell`, later `cells[2]`); keys inside
  /// the manifest's own `[cell]` table are reported by their bare name.
  public static func parse(table: TOMLTable, at path: String, file: String, context: ManifestContext) throws(ManifestError) -> CellManifest {
    var t = TableReader(table, file: file, path: path == "cell" ? nil : path, place: "[\(path)]")

    let name = try t.string("name", required: true)!
    guard (1...maxNameLength).contains(name.utf8.count),
          name.utf8.allSatisfy({ isNameByte($0) }), name.first != "-" else {
      throw t.error("name", "expected 1 to \(maxNameLength) characters of a-z, 0-9, '-' or '_', got \(quoted(name))")
    }

    let guest = try t.string("guest", required: true)!
    guard context.knownGuests.contains(guest) else {
      throw t.error("guest", "guest \(quoted(guest)) does not exist; known guests: \(context.knownGuests.joined(separator: ", "))")
    }

    let archText = try t.string("arch", required: true)!
    guard let arch = Arch(rawValue: archText) else {
      throw t.error("arch", "expected one of \(Arch.allCases.map(\.rawValue).joined(separator: ", ")), got \(quoted(archText))")
    }
    guard context.deployableArches.contains(arch) else {
      throw t.error("arch", "\(quoted(archText)) cells cannot be deployed on a node yet; supported: \(context.deployableArches.map(\.rawValue).joined(separator: ", "))")
    }

    let memory = try t.int("memory", required: true, what: "an integer number of MiB")!
    guard memory >= 2, memory <= 4096, memory % 2 == 0 else {
      throw t.error("memory", "expected an even number of MiB from 2 to 4096 (cell windows are 2 MiB aligned), got \(memory)")
    }

    let cpus = try t.int("cpus", required: false, what: "an integer number of CPUs") ?? 1
    guard (1...8).contains(cpus) else {
      throw t.error("cpus", "expected 1 to 8 CPUs, got \(cpus)")
    }

    let restartText = try t.string("restart", required: false) ?? RestartPolicy.never.rawValue
    guard let restart = RestartPolicy(rawValue: restartText) else {
      throw t.error("restart", "expected one of \(RestartPolicy.allCases.map(\.rawValue).joined(separator: ", ")), got \(quoted(restartText))")
    }

    try t.rejectUnknownKeys()
    return CellManifest(name: name, guest: guest, arch: arch, memoryMiB: memory, cpus: cpus, restart: restart)
  }

  private static func isNameByte(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
  }
}

extension NodeSettings {
  public static func parse(table: TOMLTable, at path: String, file: String) throws(ManifestError) -> NodeSettings {
    var t = TableReader(table, file: file, path: path, place: "[\(path)]")
    var node = NodeSettings()
    if let memory = try t.int("memory", required: false, what: "an integer number of MiB") {
      guard memory >= minimumMemoryMiB, memory <= maximumMemoryMiB, memory % 2 == 0 else {
        throw t.error("memory", "expected an even number of MiB from \(minimumMemoryMiB) to \(maximumMemoryMiB) (Rumkv runs at 0x70000000, 768 MiB into RAM), got \(memory)")
      }
      node.memoryMiB = memory
    }
    try t.rejectUnknownKeys()
    return node
  }
}

/// Reads typed keys from one TOML table and remembers which it read, so every key nobody asked
/// for is reported as unknown (a typo must not pass silently).
struct TableReader {
  let table: TOMLTable
  let file: String
  /// Dotted path of the table, nil for keys reported by their bare name.
  let path: String?
  /// How messages name the table: "[cell]", "the top level".
  let place: String
  private(set) var known: [String] = []

  init(_ table: TOMLTable, file: String, path: String?, place: String) {
    self.table = table
    self.file = file
    self.path = path
    self.place = place
  }

  func keyPath(_ key: String) -> String { path.map { "\($0).\(key)" } ?? key }

  func error(_ key: String, _ problem: String) -> ManifestError {
    ManifestError(file: file, key: keyPath(key), problem: problem)
  }

  private mutating func value(_ key: String, required: Bool) throws(ManifestError) -> TOMLValueConvertible? {
    known.append(key)
    guard let value = table[key] else {
      if required { throw error(key, "missing (required)") }
      return nil
    }
    return value
  }

  mutating func string(_ key: String, required: Bool) throws(ManifestError) -> String? {
    guard let v = try value(key, required: required) else { return nil }
    guard v.type == .string, let s = v.string else { throw error(key, "expected a string, got \(describe(v))") }
    return s
  }

  mutating func int(_ key: String, required: Bool, what: String) throws(ManifestError) -> Int? {
    guard let v = try value(key, required: required) else { return nil }
    guard v.type == .int, let i = v.int else { throw error(key, "expected \(what), got \(describe(v))") }
    return i
  }

  mutating func table(_ key: String, required: Bool) throws(ManifestError) -> TOMLTable? {
    guard let v = try value(key, required: required) else { return nil }
    guard v.type == .table, let t = v.table else { throw error(key, "expected a table ([\(keyPath(key))]), got \(describe(v))") }
    return t
  }

  func rejectUnknownKeys() throws(ManifestError) {
    for key in table.keys.sorted() where !known.contains(key) {
      throw error(key, "unknown key in \(place); known keys: \(known.joined(separator: ", "))")
    }
  }
}

/// A TOML value as a user wrote it, for messages: strings quoted, others as TOML prints them.
func describe(_ v: TOMLValueConvertible) -> String {
  switch v.type {
  case .string: return quoted(v.string ?? "")
  case .table: return "a table"
  case .array: return "an array"
  default: return "\(v.type.description) \(v.debugDescription)"
  }
}

/// `s` in double quotes as a TOML basic string: backslash, quote and control characters escaped, so
/// a message stays on one line and a manifest cannot drive the terminal (a name holding a newline
/// split the line: found by the manifest fuzz target).
public func quoted(_ s: String) -> String {
  "\"" + escaped(s, quotes: true) + "\""
}

/// `s` with control characters (and line and paragraph separators) written as TOML escapes, and
/// with backslash and quote escaped too when `quotes`: text from a manifest or from TOMLKit's
/// messages (which quote the offending character as it is) kept to one line of printable text.
func escaped(_ s: String, quotes: Bool) -> String {
  var out = ""
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\\" where quotes: out += "\\\\"
    case "\"" where quotes: out += "\\\""
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    case "\r": out += "\\r"
    case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .lineSeparator
                 || scalar.properties.generalCategory == .paragraphSeparator:
      let hex = String(scalar.value, radix: 16, uppercase: true)
      out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out
}

public func describeFileError(_ error: Error) -> String {
  let ns = error as NSError
  if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
    return String(cString: strerror(Int32(underlying.code)))
  }
  if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoSuchFileError { return "no such file" }
  return ns.localizedDescription
}
