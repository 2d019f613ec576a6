// The state directory: everything rumpkctl defined and everything the cells said, in one folder, so
// nothing is lost when rumpkctl exits. Chosen by --state, else $RUMPK_STATE, else <build>/state.
//
//   <state>/libvirt/                 the root of libvirt's embedded QEMU driver (qemu:///embed?root=)
//   <state>/libvirt/etc/qemu.conf    written before connecting: run QEMU as root, no relabelling
//   <state>/cells/NAME/              one folder per cell (today: per single-cell node)
//       manifest.toml  node.dtb  bundle.bin  rumkv.bin  domain.xml   what was defined
//       console.log                  the node's serial console (the current or last run)
//       console.log.1                the run before it
//       exit.json                    written by `stop`: how the last run ended

import Foundation

struct StateDir {
  let root: URL

  static func resolve(option: String?, project: Project) -> StateDir {
    if let option, !option.isEmpty { return StateDir(root: absolute(option)) }
    if let env = ProcessInfo.processInfo.environment["RUMPK_STATE"], !env.isEmpty {
      return StateDir(root: absolute(env))
    }
    return StateDir(root: project.buildDir.appendingPathComponent("state"))
  }

  var libvirtRoot: URL { root.appendingPathComponent("libvirt") }
  var cellsDir: URL { root.appendingPathComponent("cells") }

  func cell(_ name: String) -> CellFiles { CellFiles(dir: cellsDir.appendingPathComponent(name)) }

  /// Cells that have a folder here (defined now or before).
  func cellNames() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: cellsDir.path)) ?? []
    return names.filter { !$0.hasPrefix(".") }.sorted()
  }

  /// Creates the folders and the driver's qemu.conf (QEMU runs as root without relabelling files:
  /// the images and logs stay plain files of the invoking user's state dir).
  func prepare() throws {
    let fm = FileManager.default
    let etc = libvirtRoot.appendingPathComponent("etc")
    do {
      try fm.createDirectory(at: etc, withIntermediateDirectories: true)
      try fm.createDirectory(at: cellsDir, withIntermediateDirectories: true)
      let conf = """
        # Written by rumpkctl: the embedded QEMU driver runs QEMU as root and leaves file ownership alone.
        user = "root"
        group = "root"
        dynamic_ownership = 0
        remember_owner = 0
        # No virtlogd here: QEMU's own stdout/stderr go to <root>/log/qemu/NAME.log directly.
        stdio_handler = "file"

        """
      let url = etc.appendingPathComponent("qemu.conf")
      if (try? String(contentsOf: url, encoding: .utf8)) != conf {
        try conf.write(to: url, atomically: true, encoding: .utf8)
      }
    } catch {
      throw UserError("cannot prepare the state directory \(root.path): \(describeFileError(error))")
    }
  }

  private static func absolute(_ path: String) -> URL {
    URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
      .standardizedFileURL
  }
}

/// The files of one cell in the state directory.
struct CellFiles {
  let dir: URL

  var manifest: URL { dir.appendingPathComponent("manifest.toml") }
  var dtb: URL { dir.appendingPathComponent("node.dtb") }
  var bundle: URL { dir.appendingPathComponent("bundle.bin") }
  var kernel: URL { dir.appendingPathComponent("rumkv.bin") }
  var domainXML: URL { dir.appendingPathComponent("domain.xml") }
  var consoleLog: URL { dir.appendingPathComponent("console.log") }
  var previousConsoleLog: URL { dir.appendingPathComponent("console.log.1") }
  /// Rumkv's management records (docs/decisions/A5-status-channel.md).
  var managementLog: URL { dir.appendingPathComponent("management.jsonl") }
  var previousManagementLog: URL { dir.appendingPathComponent("management.jsonl.1") }
  var exitRecord: URL { dir.appendingPathComponent("exit.json") }

  var exists: Bool { FileManager.default.fileExists(atPath: dir.path) }

  /// Makes the folder and moves the last run's console log aside, so this run's log starts empty.
  func prepareForStart() throws {
    let fm = FileManager.default
    do {
      try fm.createDirectory(at: dir, withIntermediateDirectories: true)
      if fm.fileExists(atPath: consoleLog.path) {
        try? fm.removeItem(at: previousConsoleLog)
        try fm.moveItem(at: consoleLog, to: previousConsoleLog)
      }
      if fm.fileExists(atPath: managementLog.path) {
        try? fm.removeItem(at: previousManagementLog)
        try fm.moveItem(at: managementLog, to: previousManagementLog)
      }
      try? fm.removeItem(at: exitRecord)
      _ = fm.createFile(atPath: consoleLog.path, contents: nil)
    } catch {
      throw UserError("cannot prepare \(dir.path): \(describeFileError(error))")
    }
  }
}
