// How a cell image boots directly under QEMU (no libvirt): the machine, the firmware, the exit path.

import Foundation

struct QEMUInvocation {
  var binary: String
  var arguments: [String]

  /// The QEMU command line for booting `image` on `arch`.
  /// aarch64: virt with EL2 and GICv3; the cell drops to EL1 itself; semihosting carries the exit code
  /// (the cell uses it only because bootargs say `rumpk.semihosting`).
  /// riscv64: virt with QEMU's OpenSBI; the cell runs in S-mode and exits through the sifive test device.
  static func direct(image: URL, arch: Arch, icount: Bool) throws -> QEMUInvocation {
    let name = "qemu-system-\(arch.rawValue)"
    guard let binary = which(name) else {
      let package = arch == .aarch64 ? "qemu-system-arm" : "qemu-system-misc"
      throw UserError("\(name) is not installed; install it with: sudo deploy/install-deps (Debian package \(package))")
    }
    var args = ["-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio"]
    switch arch {
    case .aarch64:
      args += ["-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72", "-m", "512M",
               "-semihosting-config", "enable=on,target=native", "-append", "rumpk.semihosting"]
    case .riscv64:
      args += ["-machine", "virt", "-m", "256M", "-bios", "default"]
    }
    if icount { args += ["-icount", "shift=0,sleep=off"] }
    args += ["-kernel", image.path]
    return QEMUInvocation(binary: binary, arguments: args)
  }
}
