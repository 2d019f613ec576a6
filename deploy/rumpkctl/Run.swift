// rumpkctl run: boot one cell directly under QEMU, stream its console, exit with its halt code as
// the kernel reported it on the status port (docs/decisions/A5-status-channel.md) — never as QEMU's
// exit status or a console line, which the image controls.

import ArgumentParser
import Foundation
import StatusLog

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Boot a guest's cell image directly under QEMU (no libvirt) and exit with its halt code.",
    discussion: """
      The halt code comes from the cell's kernel on its status port, a device no NPL can reach \
      (docs/decisions/A5-status-channel.md). Exit status: 0-119 the cell halted with that code; \
      120 it halted with a code of 120 or more (printed); 123 its kernel stopped it (out of memory, \
      kernel exception, stack overflow); 124 --timeout; 125 QEMU ended without a halt record (the \
      kernel died or refused the machine before its status port worked, or QEMU failed); 2 usage.
      """)

  @Argument(help: "The guest to run (a folder of guests/); with --image, only a name for messages.")
  var guest: String

  @Option(help: "Boot this ELF image instead of the guest's built one (an image you did not build is untrusted: it gets no semihosting, no host files, only its console and the status port).")
  var image: String?

  @Option(help: "Boot with this device tree blob instead of the one QEMU generates (QEMU -dtb).")
  var dtb: String?

  @Option(help: "Keep the status port's records (JSON lines) in FILE.")
  var statusLog: String?

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


  func run() throws {
    do {
      let project = try Project.locate()
      let imageURL: URL
      if let image {
        guard FileManager.default.fileExists(atPath: image) else { throw UserError("image '\(image)' does not exist") }
        imageURL = URL(fileURLWithPath: image)
      } else {
        imageURL = try project.requireImage(guest: guest, arch: arch)
      }
      var dtbURL: URL? = nil
      if let dtb {
        guard FileManager.default.fileExists(atPath: dtb) else { throw UserError("device tree '\(dtb)' does not exist") }
        dtbURL = URL(fileURLWithPath: dtb)
        // QEMU 7.2's arm boot code places a -dtb below the image at 0x40200000 with 10000 bytes of
        // room to spare, and drops a larger tree without a word.
        let size = (try? FileManager.default.attributesOfItem(atPath: dtb)[.size] as? Int) ?? 0
        if arch == .aarch64 && size > (1 << 20) - 10_000 {
          FileHandle.standardError.write(Data("rumpkctl: warning: \(dtb) is \(size) bytes; QEMU drops an aarch64 device tree over \((1 << 20) - 10_000) bytes (the cell then boots without one)\n".utf8))
        }
      }
      var devices = VirtioDevices()
      if let disk {
        guard FileManager.default.fileExists(atPath: disk) else { throw UserError("disk image '\(disk)' does not exist") }
        devices.disk = disk
      }
      if let netSocket { devices.netSocket = try VirtioDevices.ports(netSocket) }
      devices.rng = rng
      guard bios == "default" || bios == "none" else { throw UserError("--bios wants 'default' or 'none', not '\(bios)'") }
      guard bios == "default" || arch == .riscv64 else { throw UserError("--bios none is for riscv64 only") }
      for word in bootarg where word.isEmpty || word.contains(where: { $0 == " " || $0 == "\"" }) {
        throw UserError("--bootarg wants one word without spaces or quotes, not '\(word)'")
      }
      let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rumpkctl-run-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(at: scratch) }
      let port = statusLog.map { URL(fileURLWithPath: $0) } ?? scratch.appendingPathComponent("status.jsonl")
      let qemu = try QEMUInvocation.direct(image: imageURL, arch: arch, icount: icount, statusPort: port, devices: devices,
                                           noFirmware: bios == "none", bootargs: bootarg, dtb: dtbURL)
      if verbose {
        FileHandle.standardError.write(Data(([qemu.binary] + qemu.arguments).joined(separator: " ").utf8 + [10]))
      }
      let status = try runStreaming(qemu, timeout: timeout)
      if status == 124 { throw ExitCode(124) }
      let outcome = DirectOutcome(log: StatusPortFile.read(port), qemuStatus: status)
      if let message = outcome.message { FileHandle.standardError.write(Data("rumpkctl: \(message)\n".utf8)) }
      throw ExitCode(outcome.exitStatus)
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
