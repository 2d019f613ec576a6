// How a cell image boots directly under QEMU (no libvirt): the machine, the firmware, the exit path.

import Foundation
import StatusLog

struct QEMUInvocation {
  var binary: String
  var arguments: [String]

  /// The QEMU command line for booting `image` on `arch`.
  /// aarch64: virt with EL2 and GICv3; the cell drops to EL1 itself and powers off through PSCI.
  /// riscv64: virt with QEMU's OpenSBI; the cell runs in S-mode and exits through the sifive test device.
  /// Both: the status port (`statusPort`, a file) is the last virtio-mmio transport; the halt code
  /// travels there (docs/decisions/A5-status-channel.md). No semihosting: it would let the image run
  /// host commands. `dtb`: a device tree to boot with instead of QEMU's own.
  /// With `noFirmware` (riscv64 only) there is no OpenSBI: QEMU's reset code jumps to 0x80000000 in
  /// M-mode with a2 = its fw_dynamic_info, and two instructions loaded there (`ld t0, 16(a2)`: the
  /// image's entry; `jalr zero, 8(t0)`) enter the image's M-mode shim at _start + 8
  /// (rumpk/HAL/riscv64/mshim.S), which sets the machine up and drops to S-mode itself.
  /// `bootargs`: extra words for the cell's /chosen/bootargs (e.g. `rumpk.bench=switch`).
  static func direct(image: URL, arch: Arch, icount: Bool, statusPort: URL, devices: VirtioDevices = VirtioDevices(),
                     noFirmware: Bool = false, bootargs: [String] = [], dtb: URL? = nil) throws -> QEMUInvocation {
    let name = "qemu-system-\(arch.rawValue)"
    guard let binary = which(name) else {
      let package = arch == .aarch64 ? "qemu-system-arm" : "qemu-system-misc"
      throw UserError("\(name) is not installed; install it with: sudo deploy/install-deps (Debian package \(package))")
    }
    var args = ["-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio"]
    switch arch {
    case .aarch64:
      args += ["-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72", "-m", "512M"]
    case .riscv64:
      args += ["-machine", "virt", "-m", "256M"]
      if noFirmware {
        args += ["-bios", "none", "-device", "loader,addr=0x80000000,data=0x0082806701063283,data-len=8"]
      } else {
        args += ["-bios", "default"]
      }
    }
    if !bootargs.isEmpty { args += ["-append", bootargs.joined(separator: " ")] }
    if let dtb { args += ["-dtb", dtb.path] }
    if icount { args += ["-icount", "shift=0,sleep=off"] }
    args += StatusPortFile.arguments(path: statusPort, arch: arch.rawValue)
    args += devices.arguments
    args += ["-kernel", image.path]
    return QEMUInvocation(binary: binary, arguments: args)
  }
}

/// VirtIO devices attached to a direct boot, all on the board's virtio-mmio transports (the `-device`
/// variants without -pci; StatusPortFile.arguments makes them modern).
/// Networking is a UDP socket on loopback: each datagram is one Ethernet frame.
struct VirtioDevices {
  var disk: String? = nil
  var netSocket: (local: Int, remote: Int)? = nil
  var rng = false

  init() {}

  /// Parses "LOCAL:REMOTE" (two UDP ports on 127.0.0.1).
  static func ports(_ spec: String) throws -> (local: Int, remote: Int) {
    let parts = spec.split(separator: ":")
    guard parts.count == 2, let l = Int(parts[0]), let r = Int(parts[1]), (1...65535).contains(l), (1...65535).contains(r) else {
      throw UserError("--net-socket wants LOCALPORT:REMOTEPORT (UDP ports on 127.0.0.1), not '\(spec)'")
    }
    return (l, r)
  }

  var arguments: [String] {
    var args: [String] = []
    if rng {
      args += ["-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-device,rng=rng0"]
    }
    if let disk {
      let escaped = disk.replacingOccurrences(of: ",", with: ",,")
      args += ["-drive", "if=none,id=disk0,format=raw,file=\(escaped)", "-device", "virtio-blk-device,drive=disk0"]
    }
    if let net = netSocket {
      args += ["-netdev", "socket,id=net0,udp=127.0.0.1:\(net.remote),localaddr=127.0.0.1:\(net.local)",
               "-device", "virtio-net-device,netdev=net0"]
    }
    return args
  }
}
