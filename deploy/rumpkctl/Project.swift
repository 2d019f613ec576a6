// Where the project's sources and build output are: the guests that exist and the images built.

import Foundation

struct Project {
  let root: URL

  /// Finds the project root: $RUMPK_ROOT, else the first folder above the current directory or the
  /// executable that holds rumpk/build-image.
  static func locate() throws -> Project {
    let fm = FileManager.default
    if let env = ProcessInfo.processInfo.environment["RUMPK_ROOT"], !env.isEmpty {
      return Project(root: URL(fileURLWithPath: env))
    }
    let starts = [URL(fileURLWithPath: fm.currentDirectoryPath),
                  URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()]
    for start in starts {
      var dir = start.standardizedFileURL
      while dir.path != "/" {
        if fm.fileExists(atPath: dir.appendingPathComponent("rumpk/build-image").path) {
          return Project(root: dir)
        }
        dir.deleteLastPathComponent()
      }
    }
    throw UserError("cannot find the Rumpk project (no rumpk/build-image above \(fm.currentDirectoryPath)); run inside the checkout or set RUMPK_ROOT")
  }

  var buildDir: URL {
    if let env = ProcessInfo.processInfo.environment["RUMPK_BUILD"], !env.isEmpty {
      return URL(fileURLWithPath: env)
    }
    return root.appendingPathComponent("build")
  }

  /// Guests are the folders of guests/ that hold Swift sources.
  func guests() -> [String] {
    let dir = root.appendingPathComponent("guests")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { name in
      let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(name).path)) ?? []
      return files.contains { $0.hasSuffix(".swift") }
    }.sorted()
  }

  func image(guest: String, arch: Arch) -> URL {
    buildDir.appendingPathComponent("images/\(guest)-\(arch.rawValue).elf")
  }

  /// The image for `guest`, or a one-line error naming what to do.
  func requireImage(guest: String, arch: Arch) throws -> URL {
    let known = guests()
    guard known.contains(guest) else {
      throw UserError("unknown guest '\(guest)'; known guests: \(known.joined(separator: ", "))")
    }
    let url = image(guest: guest, arch: arch)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw UserError("image \(url.path) is not built yet; build it with: make images")
    }
    return url
  }
}

/// Finds an executable on PATH.
func which(_ name: String) -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for dir in path.split(separator: ":") {
    let candidate = "\(dir)/\(name)"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return nil
}

extension Project {
  /// The bootable Rumkv image: the flat image (QEMU loads an ELF kernel without its initrd).
  func rumkvImage(arch: Arch) -> URL {
    buildDir.appendingPathComponent("rumkv/rumkv-\(arch.rawValue).bin")
  }

  func requireRumkv(arch: Arch) throws -> URL {
    let url = rumkvImage(arch: arch)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw UserError("Rumkv is not built yet (\(url.path)); build it with: rumkv/build-image \(arch.rawValue)")
    }
    return url
  }

  /// Cells that have a manifest in deploy/cells/.
  func cellManifests() -> [String] {
    let dir = root.appendingPathComponent("deploy/cells")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
  }
}
