// libFuzzer target: the cell-manifest parser (deploy/RumpkManifest, TOMLKit underneath) on any
// text. Checked promises: a refused manifest yields one line naming the file, and the key when
// there is one; an accepted manifest holds only values the validation allows.

import RumpkManifest

let context = ManifestContext(knownGuests: ["hello", "exitcode"])

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when the parser breaks a documented promise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
  let deployment: CellDeployment
  do throws(ManifestError) {
    deployment = try CellDeployment.parse(text, file: "fuzz.toml", context: context)
  } catch {
    let line = error.description
    guard line.hasPrefix("fuzz.toml: "), !line.contains(where: \.isNewline) else {
      fatalError("a refusal that is not one line naming the file: \(line.debugDescription)")
    }
    if let key = error.key, !line.hasPrefix("fuzz.toml: key '\(key)': ") { fatalError("a refusal that hides its key: \(line.debugDescription)") }
    return 0
  }
  let cell = deployment.cell
  guard (1...CellManifest.maxNameLength).contains(cell.name.utf8.count), context.knownGuests.contains(cell.guest),
        context.deployableArches.contains(cell.arch), (2...4096).contains(cell.memoryMiB), cell.memoryMiB % 2 == 0,
        (1...8).contains(cell.cpus),
        (NodeSettings.minimumMemoryMiB...NodeSettings.maximumMemoryMiB).contains(deployment.node.memoryMiB) else {
    fatalError("an accepted manifest holds values the validation refuses: \(deployment)")
  }
  return 0
}
