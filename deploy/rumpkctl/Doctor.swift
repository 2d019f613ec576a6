// rumpkctl doctor: what this host is missing to build, run and deploy cells, and how to get it.

import ArgumentParser
import Foundation

struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check this host for what rumpkctl needs and say how to get what is missing.")

  func run() throws {
    var missing = 0
    func check(_ ok: Bool, _ what: String, fix: String) {
      print("\(ok ? "ok     " : "missing") \(what)\(ok ? "" : "  ->  \(fix)")")
      if !ok { missing += 1 }
    }
    let install = "sudo deploy/install-deps"
    for arch in Arch.allCases {
      check(which("qemu-system-\(arch.rawValue)") != nil, "qemu-system-\(arch.rawValue)", fix: install)
    }
    let driverDirs = ["/usr/lib/x86_64-linux-gnu/libvirt/connection-driver", "/usr/lib/aarch64-linux-gnu/libvirt/connection-driver",
                      "/usr/lib64/libvirt/connection-driver", "/usr/lib/libvirt/connection-driver"]
    let driver = driverDirs.contains { FileManager.default.fileExists(atPath: "\($0)/libvirt_driver_qemu.so") }
    check(driver, "libvirt QEMU driver (libvirt_driver_qemu.so)", fix: "\(install) (Debian package libvirt-daemon-driver-qemu)")
    check(getpwnam("libvirt-qemu") != nil && getgrnam("libvirt-qemu") != nil, "user and group libvirt-qemu", fix: install)
    check(which("dtc") != nil, "dtc (device-tree compiler, for inspecting node.dtb)", fix: "\(install) (Debian package device-tree-compiler)")
    check(getuid() == 0, "running as root (the embedded QEMU driver runs QEMU as root)", fix: "run rumpkctl as root")

    if let project = try? Project.locate() {
      for guest in project.guests() {
        for arch in Arch.allCases {
          let image = project.image(guest: guest, arch: arch)
          check(FileManager.default.fileExists(atPath: image.path), "image \(Deployment.display(image))", fix: "make images")
        }
      }
      let rumkv = project.rumkvImage(arch: .aarch64)
      check(FileManager.default.fileExists(atPath: rumkv.path), "Rumkv \(Deployment.display(rumkv))", fix: "rumkv/build-image aarch64")
    } else {
      check(false, "the Rumpk project", fix: "run inside the checkout or set RUMPK_ROOT")
    }
    print(missing == 0 ? "everything rumpkctl needs is here" : "\(missing) missing")
    if missing > 0 { throw ExitCode(1) }
  }
}
