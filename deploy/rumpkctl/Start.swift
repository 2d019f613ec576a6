// rumpkctl start cell NAME: turn a cell manifest into a Rumkv node (node DTB, cell bundle, domain
// XML), record them in the state dir, define the libvirt domain and start it.

import ArgumentParser
import Foundation

struct Start: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Start a cell (on its own Rumkv node, a libvirt domain).",
    subcommands: [StartCell.self])
}

struct StartCell: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cell",
    abstract: "Start a cell from its manifest (deploy/cells/NAME.toml) on its own Rumkv node.")

  @Argument(help: "The cell's name.")
  var name: String

  @Option(help: "The cell manifest (default: deploy/cells/NAME.toml in the project).")
  var manifest: String?

  @OptionGroup var options: StateOptions

  func run() throws {
    try reportingErrors {
      let deployment = try Deployment(options)
      let project = deployment.project
      let manifestURL = manifest.map { URL(fileURLWithPath: $0) }
        ?? project.root.appendingPathComponent("deploy/cells/\(name).toml")
      let shown = manifest ?? "deploy/cells/\(name).toml"
      guard FileManager.default.fileExists(atPath: manifestURL.path) else {
        let known = project.cellManifests()
        throw UserError("no manifest for cell '\(name)': \(shown) does not exist" +
                        (known.isEmpty ? "" : "; cells with manifests: \(known.joined(separator: ", "))"))
      }
      let parsed = try CellDeployment.load(manifestURL, displayPath: shown,
                                           context: ManifestContext(knownGuests: project.guests()))
      guard parsed.cell.name == name else {
        throw ManifestError(file: shown, key: "name", problem: "the manifest names cell \(quoted(parsed.cell.name)), not \(quoted(name))")
      }
      try CellStarter(deployment: deployment, deploymentManifest: parsed, manifestURL: manifestURL).start()
    }
  }
}

/// The steps of starting one single-cell node.
struct CellStarter {
  let deployment: Deployment
  let deploymentManifest: CellDeployment
  let manifestURL: URL

  func start() throws {
    let project = deployment.project
    let cell = deploymentManifest.cell
    let image = try project.requireImage(guest: cell.guest, arch: cell.arch)
    let rumkv = try project.requireRumkv(arch: cell.arch)
    let qemu = try requireQEMU(arch: cell.arch)
    let plan = try NodePlan.make(name: Deployment.domainName(cell: cell.name), cells: [cell], node: deploymentManifest.node)

    let connection = try deployment.connect()
    if let existing = connection.domain(named: plan.name) {
      try existing.waitUntilControllable()
      if try existing.state().isActive {
        throw UserError("cell '\(cell.name)' is already running; stop it first with: rumpkctl stop \(cell.name)")
      }
    }

    let files = deployment.state.cell(cell.name)
    try files.prepareForStart()
    do {
      try FileManager.default.removeItem(at: files.manifest)
    } catch {}
    try FileManager.default.copyItem(at: manifestURL, to: files.manifest)

    let scratch = files.dir.appendingPathComponent("board.dtb")
    let dtb = try NodeDTB.build(plan: plan, qemu: qemu, scratch: scratch)
    try? FileManager.default.removeItem(at: scratch)
    try Data(dtb).write(to: files.dtb)

    let bundle = try BundleFile.make(entries: [(cell.name, [UInt8](try Data(contentsOf: image)))])
    try Data(bundle).write(to: files.bundle)
    try? FileManager.default.removeItem(at: files.kernel)
    try FileManager.default.copyItem(at: rumkv, to: files.kernel)

    let xml = DomainXML.make(plan: plan, files: DomainFiles(
      kernel: files.kernel, initrd: files.bundle, dtb: files.dtb, consoleLog: files.consoleLog,
      managementLog: files.managementLog, emulator: qemu))
    try xml.write(to: files.domainXML, atomically: true, encoding: .utf8)

    let domain = try connection.define(xml: xml)
    try domain.start()
    print("started cell \(cell.name): node \(plan.name), \(plan.board.memoryMiB) MiB, window 0x\(hex(plan.cells[0].windowBase)) +\(cell.memoryMiB) MiB, console \(Deployment.display(files.consoleLog))")
  }
}

/// The QEMU system emulator for `arch`, or a one-line error naming how to install it.
func requireQEMU(arch: Arch) throws -> String {
  let name = "qemu-system-\(arch.rawValue)"
  guard let binary = which(name) else {
    let package = arch == .aarch64 ? "qemu-system-arm" : "qemu-system-misc"
    throw UserError("\(name) is not installed; install it with: sudo deploy/install-deps (Debian package \(package))")
  }
  return binary
}
