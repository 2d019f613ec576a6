// rumpkctl run: boot one cell directly under QEMU, stream its console, exit with its halt code.

import ArgumentParser
import Foundation

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Boot a guest's cell image directly under QEMU (no libvirt) and exit with its halt code.")

  @Argument(help: "The guest to run (a folder of guests/).")
  var guest: String

  @Option(help: "Architecture: aarch64 or riscv64.")
  var arch: Arch = .aarch64

  @Flag(help: "Deterministic instruction counting: -icount shift=0,sleep=off.")
  var icount = false

  @Option(help: "riscv64 firmware: 'default' (QEMU's OpenSBI; the cell is entered in S-mode) or 'none' (no firmware: the cell is entered in M-mode and sets the machine up itself).")
  var bios: String = "default"

  @Option(help: "A word for the cell's boot arguments (/chosen/bootargs); repeatable. The kernel knows `rumpk.bench=switch` (measure a switch between two kernel fibers before the guest starts).")
  var bootarg: [String] = []

  @Option(help: "Seconds before the cell is stopped (exit status 124).")
  var timeout: Double = 60

  @Flag(help: "Print the QEMU command line before running it.")
  var verbose = false

  @Option(help: "Attach FILE (a raw image) as a virtio-blk disk; the cell sees /dev/blk0.")
  var disk: String?

  @Option(help: "Attach a virtio-net NIC whose frames travel as UDP datagrams: QEMU listens on 127.0.0.1:LOCAL and sends to 127.0.0.1:REMOTE.")
  var netSocket: String?

  @Flag(help: "Attach a virtio-rng device (fed from the host's /dev/urandom); it seeds the cell's CSPRNG.")
  var rng = false

  @Option(help: "Attach a virtio-console whose output goes to FILE.")
  var virtioConsole: String?

  func run() throws {
    do {
      let project = try Project.locate()
      let image = try project.requireImage(guest: guest, arch: arch)
      var devices = VirtioDevices()
      if let disk {
        guard FileManager.default.fileExists(atPath: disk) else { throw UserError("disk image '\(disk)' does not exist") }
        devices.disk = disk
      }
      if let netSocket { devices.netSocket = try VirtioDevices.ports(netSocket) }
      devices.rng = rng
      devices.consoleLog = virtioConsole
      guard bios == "default" || bios == "none" else { throw UserError("--bios wants 'default' or 'none', not '\(bios)'") }
      guard bios == "default" || arch == .riscv64 else { throw UserError("--bios none is for riscv64 only") }
      for word in bootarg where word.isEmpty || word.contains(where: { $0 == " " || $0 == "\"" }) {
        throw UserError("--bootarg wants one word without spaces or quotes, not '\(word)'")
      }
      let qemu = try QEMUInvocation.direct(image: image, arch: arch, icount: icount, devices: devices,
                                           noFirmware: bios == "none", bootargs: bootarg)
      if verbose {
        FileHandle.standardError.write(Data(([qemu.binary] + qemu.arguments).joined(separator: " ").utf8 + [10]))
      }
      let status = try runStreaming(qemu, timeout: timeout)
      throw ExitCode(status)
    } catch let error as UserError {
      FileHandle.standardError.write(Data("rumpkctl: \(error.message)\n".utf8))
      throw ExitCode(2)
    }
  }
}

/// Runs QEMU with its console on our stdout. Returns QEMU's exit status, or 124 after `timeout`
/// seconds (QEMU is then killed).
func runStreaming(_ qemu: QEMUInvocation, timeout: Double) throws -> Int32 {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: qemu.binary)
  process.arguments = qemu.arguments
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let deadline = Date().addingTimeInterval(timeout)
  while process.isRunning {
    if Date() >= deadline {
      process.terminate()
      process.waitUntilExit()
      FileHandle.standardError.write(Data("rumpkctl: the cell did not halt within \(timeout) s; stopped it\n".utf8))
      return 124
    }
    usleep(5_000)
  }
  return process.terminationStatus
}
