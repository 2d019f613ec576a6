// What every libvirt-facing command shares: the project, the state directory, the connection.

import ArgumentParser
import Foundation

/// Options of the commands that work on defined cells.
struct StateOptions: ParsableArguments {
  @Option(name: .customLong("state"), help: "State directory (default: $RUMPK_STATE, else <project>/build/state).")
  var stateDir: String?

  @Option(help: "libvirt connection URI (default: the embedded QEMU driver, qemu:///embed?root=<state>/libvirt).")
  var connect: String?
}

struct Deployment {
  let project: Project
  let state: StateDir
  let uri: String

  init(_ options: StateOptions) throws {
    project = try Project.locate()
    state = StateDir.resolve(option: options.stateDir, project: project)
    uri = options.connect ?? "qemu:///embed?root=\(state.libvirtRoot.path)"
  }

  var isEmbedded: Bool { uri.hasPrefix("qemu:///embed") }

  /// Opens libvirt (for the embedded driver, after writing its qemu.conf under the state dir).
  func connect() throws -> LibvirtConnection {
    try state.prepare()
    // libvirt's log: warnings and errors to a file in the state dir, not to our stderr (an
    // explicit LIBVIRT_LOG_OUTPUTS from the user wins).
    setenv("LIBVIRT_LOG_OUTPUTS", "3:file:\(state.root.appendingPathComponent("libvirt.log").path)", 0)
    do {
      return try LibvirtConnection(uri: uri)
    } catch let error as LibvirtError {
      if isEmbedded, error.message.contains("libvirt-qemu") || error.message.contains("driver") {
        throw UserError("\(error); is libvirt's QEMU driver installed? run: sudo deploy/install-deps (or rumpkctl doctor)")
      }
      throw UserError("\(error)")
    }
  }

  /// The domain of a cell that runs alone on its node: named after the cell.
  static func domainName(cell: String) -> String { cell }

  /// Shows a path relative to the current directory when it lies under it.
  static func display(_ url: URL) -> String {
    let cwd = FileManager.default.currentDirectoryPath
    let path = url.standardizedFileURL.path
    return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
  }
}

/// Runs a command body and turns the failures users can act on into one line on stderr, exit 2.
func reportingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as UserError {
    FileHandle.standardError.write(Data("rumpkctl: \(error.message)\n".utf8))
    throw ExitCode(2)
  } catch let error as ManifestError {
    FileHandle.standardError.write(Data("rumpkctl: \(error)\n".utf8))
    throw ExitCode(2)
  } catch let error as LibvirtError {
    FileHandle.standardError.write(Data("rumpkctl: libvirt: \(error)\n".utf8))
    throw ExitCode(1)
  }
}
