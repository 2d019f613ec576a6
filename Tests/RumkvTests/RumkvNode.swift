// Test support: builds what a Rumkv node boots with — the node DTB (QEMU's board tree for the same
// machine plus a /rumkv node) and the cell bundle — and boots Rumkv under real QEMU.

import CellBundle
import Foundation
import QEMUHarness
import StatusLog
import XCTest

enum RumkvNode {
  /// The machine every test uses; the board tree is dumped with the same arguments.
  static let machine = ["-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72", "-m", "1G",
                        "-nodefaults", "-display", "none"]

  /// The bootable Rumkv image (flat arm64 Image; QEMU loads an ELF kernel without its initrd).
  static var image: URL { ProjectPaths.root.appendingPathComponent("build/rumkv/rumkv-aarch64.bin") }

  /// Fails the test (not a skip) when a build product is missing.
  static func require(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws {
    guard FileManager.default.fileExists(atPath: url.path) else {
      XCTFail("\(url.path) is missing: run `make images` (it runs rumkv/build-image aarch64 build)",
              file: file, line: line)
      throw XCTSkip("build product missing")
    }
  }

  static let scratch: URL = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rumkv-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }()

  static func tool(_ name: String, _ args: [String], timeout: TimeInterval = 30) throws -> CellOutput {
    let r = try CellProcess.run("/usr/bin/env", [name] + args, timeout: timeout)
    guard r.status == 0, !r.timedOut else {
      throw NSError(domain: "RumkvTests", code: Int(r.status),
                    userInfo: [NSLocalizedDescriptionKey: "\(name) \(args.joined(separator: " ")) failed: \(r.stderr)"])
    }
    return r
  }

  /// QEMU's board tree for `machine`, as DTS source without its final "};" (cached per process).
  static let boardSource: Result<String, Error> = Result {
    let dtb = scratch.appendingPathComponent("board.dtb")
    _ = try tool("qemu-system-aarch64", machine + ["-machine", "dumpdtb=\(dtb.path)"])
    let dts = try tool("dtc", ["-q", "-I", "dtb", "-O", "dts", dtb.path]).stdout
    guard let end = dts.range(of: "};", options: .backwards) else { throw CocoaError(.fileReadCorruptFile) }
    return String(dts[..<end.lowerBound])
  }

  /// The /rumkv node for one cell, with each property overridable (nil leaves it out).
  static func rumkvNode(name: String? = "\"hello\"", image: String? = "\"hello\"",
                        memory: String? = "<0x0 0x40000000 0x0 0x04000000>", cpus: String? = "<0x0>",
                        devices: String? = "\"uart\"") -> String {
    var props = ""
    for (key, value) in [("name", name), ("image", image), ("memory", memory), ("cpus", cpus), ("devices", devices)] {
      if let value { props += "\t\t\t\(key) = \(value);\n" }
    }
    return "\trumkv {\n\t\tcompatible = \"rumpk,rumkv-1\";\n\t\tcell@0 {\n\(props)\t\t};\n\t};\n"
  }

  /// Writes the node DTB: the board tree plus `extra` DTS text inside the root.
  /// dtc's legacy check on a property called "name" is turned off: A3 uses one.
  static func nodeDTB(_ extra: String) throws -> URL {
    let id = UUID().uuidString
    let dts = scratch.appendingPathComponent("node-\(id).dts")
    let dtb = scratch.appendingPathComponent("node-\(id).dtb")
    try (try boardSource.get() + extra + "};\n").write(to: dts, atomically: true, encoding: .utf8)
    _ = try tool("dtc", ["-q", "-E", "no-name_properties", "-I", "dts", "-O", "dtb", "-o", dtb.path, dts.path])
    return dtb
  }

  /// Writes a bundle with BundleWriter, each image reduced to what Rumkv loads as rumpkctl does
  /// (LoadableImage; a malformed one goes in as it is); `corrupt` flips a byte in the middle of the
  /// first image.
  static func bundle(_ entries: [(name: String, image: Data)], corrupt: Bool = false) throws -> URL {
    let nameBytes = entries.map { Array($0.name.utf8) }
    let imageBytes = entries.map { entry -> [UInt8] in
      let elf = [UInt8](entry.image)
      return elf.withUnsafeBytes { e in
        guard let size = LoadableImage.compactSize(of: e) else { return elf }
        var out = [UInt8](repeating: 0, count: size)
        return out.withUnsafeMutableBytes({ LoadableImage.compact(e, into: $0) }) == size ? out : elf
      }
    }
    let sizes = imageBytes.map(\.count)
    let total = sizes.withUnsafeBufferPointer { BundleWriter.size(imageSizes: $0) }
    var out = [UInt8](repeating: 0, count: total)
    try withRawBuffers(nameBytes) { names in
      try withRawBuffers(imageBytes) { images in
        _ = try out.withUnsafeMutableBytes { try BundleWriter.write(names: names, images: images, into: $0) }
      }
    }
    if corrupt {
      let offset = Int(out[0x40 + 0x20]) | Int(out[0x40 + 0x21]) << 8 | Int(out[0x40 + 0x22]) << 16
      out[offset + sizes[0] / 2] ^= 0x01
    }
    let url = scratch.appendingPathComponent("bundle-\(UUID().uuidString).bin")
    try Data(out).write(to: url)
    return url
  }

  static func withRawBuffers<R>(_ arrays: [[UInt8]],
                                _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
    let pointers = arrays.map { a -> UnsafeMutableRawBufferPointer in
      let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(a.count, 1), alignment: 16)
      p.copyBytes(from: a)
      return p
    }
    defer { pointers.forEach { $0.deallocate() } }
    let views = zip(pointers, arrays).map { UnsafeRawBufferPointer(rebasing: $0.0[0..<$0.1.count]) }
    return try views.withUnsafeBufferPointer { try body($0) }
  }

  /// The guest's cell image: build/images, or the folder in RUMKV_TEST_IMAGES when set (to try
  /// Rumkv against images built elsewhere).
  static func guestImage(_ guest: String) throws -> Data {
    var url = ProjectPaths.image(guest, "aarch64")
    if let dir = ProcessInfo.processInfo.environment["RUMKV_TEST_IMAGES"] {
      url = URL(fileURLWithPath: dir).appendingPathComponent("\(guest)-aarch64.elf")
    }
    try require(url)
    return try Data(contentsOf: url)
  }

  /// Boots Rumkv with the node DTB and bundle and its management port on a file; the records come
  /// back in `records` (haltCode, offCode): what a cell prints cannot change them. No semihosting.
  static func boot(dtb: URL, bundle: URL, icount: Bool = false, timeout: TimeInterval = 30) throws -> CellOutput {
    try require(image)
    let port = scratch.appendingPathComponent("management-\(UUID().uuidString).jsonl")
    defer { try? FileManager.default.removeItem(at: port) }
    var args = machine + ["-serial", "stdio", "-kernel", image.path, "-initrd", bundle.path, "-dtb", dtb.path]
    args += StatusPortFile.arguments(path: port, arch: "aarch64")
    if icount { args += ["-icount", "shift=0,sleep=off"] }
    var r = try CellProcess.run("/usr/bin/env", ["qemu-system-aarch64"] + args, timeout: timeout)
    r.records = StatusPortFile.read(port)
    return r
  }
}
