// The node's device tree: QEMU's own board tree for exactly the node's machine (dumped with
// -machine dumpdtb), plus the /rumkv node that tells Rumkv its cells (A3), written with libfdt.

import CLibfdt
import Foundation

enum NodeDTB {
  /// Dumps the board tree for `board`, adds /rumkv for `plan` and returns the finished blob.
  static func build(plan: NodePlan, qemu: String, scratch: URL) throws -> [UInt8] {
    let board = try dumpBoard(plan.board, qemu: qemu, to: scratch)
    return try addRumkvNode(to: board, plan: plan)
  }

  /// Runs QEMU only to write the board tree of `board` to `file`.
  static func dumpBoard(_ board: NodeMachine, qemu: String, to file: URL) throws -> [UInt8] {
    try? FileManager.default.removeItem(at: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: qemu)
    process.arguments = board.qemuArguments + ["-display", "none", "-machine", "dumpdtb=\(file.path)"]
    let errors = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let data = try? Data(contentsOf: file) else {
      let text = String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      throw UserError("cannot dump the board device tree with \(qemu): \(text.isEmpty ? "exit status \(process.terminationStatus)" : text)")
    }
    return [UInt8](data)
  }

  /// Adds /rumkv { compatible; cell@N { name; image; memory; cpus; devices } } (A3).
  static func addRumkvNode(to board: [UInt8], plan: NodePlan) throws -> [UInt8] {
    guard board.count >= 40 else { throw UserError("the board device tree is truncated (\(board.count) bytes)") }
    var tree = FDTEditor(blob: board, room: 4096 + plan.cells.count * 512)
    try tree.check(fdt_check_header(tree.bytes), "the board device tree")
    let rumkv = try tree.addSubnode(parent: 0, "rumkv")
    try tree.setString(rumkv, "compatible", "rumpk,rumkv-1")
    for (index, placement) in plan.cells.enumerated() {
      let cell = try tree.addSubnode(parent: rumkv, "cell@\(index)")
      try tree.setString(cell, "name", placement.cell.name)
      try tree.setString(cell, "image", placement.cell.name)
      try tree.setCells(cell, "memory", [UInt32(placement.windowBase >> 32), UInt32(truncatingIfNeeded: placement.windowBase),
                                         UInt32(placement.windowSize >> 32), UInt32(truncatingIfNeeded: placement.windowSize)])
      try tree.setCells(cell, "cpus", placement.cpuIDs)
      try tree.setString(cell, "devices", "uart")
    }
    return try tree.packed()
  }
}

/// A device tree blob opened for writing with libfdt (fdt_open_into gives it room to grow).
/// libfdt's function-like macros (fdt_setprop_string, fdt_totalsize) do not import into Swift, so
/// properties are set with fdt_setprop and explicit bytes.
struct FDTEditor {
  var bytes: [UInt8]

  init(blob: [UInt8], room: Int) {
    bytes = blob + [UInt8](repeating: 0, count: room)
    let size = Int32(bytes.count)
    let status = blob.withUnsafeBytes { source in
      bytes.withUnsafeMutableBytes { fdt_open_into(source.baseAddress, $0.baseAddress, size) }
    }
    if status != 0 { bytes = blob }  // reported by the first operation's check
  }

  func check(_ status: Int32, _ what: @autoclosure () -> String) throws {
    guard status >= 0 else {
      throw UserError("libfdt: \(what()): \(String(cString: fdt_strerror(status)))")
    }
  }

  mutating func addSubnode(parent: Int32, _ name: String) throws -> Int32 {
    let offset = bytes.withUnsafeMutableBytes { fdt_add_subnode($0.baseAddress, parent, name) }
    try check(offset, "cannot add node \(name)")
    return offset
  }

  mutating func setProperty(_ node: Int32, _ name: String, _ value: [UInt8]) throws {
    let status = bytes.withUnsafeMutableBytes { fdt in
      value.withUnsafeBytes { fdt_setprop(fdt.baseAddress, node, name, $0.baseAddress, Int32(value.count)) }
    }
    try check(status, "cannot set property \(name)")
  }

  /// A NUL-terminated string property.
  mutating func setString(_ node: Int32, _ name: String, _ value: String) throws {
    try setProperty(node, name, Array(value.utf8) + [0])
  }

  /// A list of big-endian 32-bit cells.
  mutating func setCells(_ node: Int32, _ name: String, _ cells: [UInt32]) throws {
    try setProperty(node, name, cells.flatMap { c in (0..<4).map { UInt8(truncatingIfNeeded: c >> (24 - 8 * UInt32($0))) } })
  }

  /// The blob trimmed to its real size.
  mutating func packed() throws -> [UInt8] {
    let status = bytes.withUnsafeMutableBytes { fdt_pack($0.baseAddress) }
    try check(status, "cannot pack the tree")
    // totalsize: big-endian u32 at offset 4 of the header (fdt_totalsize is a macro).
    let total = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
    return Array(bytes[0..<min(total, bytes.count)])
  }
}
