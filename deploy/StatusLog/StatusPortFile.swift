// The status port as QEMU sees it (docs/decisions/A5-status-channel.md): a virtio-console on the
// board's last virtio-mmio transport whose output goes to a file. The kernel (direct mode) or Rumkv
// (node mode) owns it; what the guest prints goes to the serial console, never here. rumpkctl and
// the test harness attach and read it through this one place.

import Foundation

public enum StatusPortFile {
  /// The transport the port sits on for `arch` ("aarch64" or "riscv64"): the last of the board's
  /// (aarch64 virt has 32, riscv64 virt 8), out of the way of devices QEMU places itself.
  public static func bus(arch: String) -> String {
    arch == "aarch64" ? "virtio-mmio-bus.31" : "virtio-mmio-bus.7"
  }

  /// QEMU arguments for a port writing to `path` (truncated at start). QEMU 7.2 presents
  /// virtio-mmio as legacy unless told otherwise; Rumpk and Rumkv drive only modern devices.
  public static func arguments(path: URL, arch: String) -> [String] {
    ["-global", "virtio-mmio.force-legacy=false",
     "-chardev", "file,id=status,path=\(path.path.replacingOccurrences(of: ",", with: ",,"))",
     "-device", "virtio-serial-device,bus=\(bus(arch: arch))",
     "-device", "virtconsole,chardev=status"]
  }

  /// The capture at `url`, decoded (its first StatusLog.maxBytes); an absent file is an empty log.
  public static func read(_ url: URL) -> StatusLog {
    guard let handle = try? FileHandle(forReadingFrom: url) else { return StatusLog() }
    defer { try? handle.close() }
    let data = (try? handle.read(upToCount: StatusLog.maxBytes + 1)) ?? Data()
    return StatusLog(bytes: [UInt8](data.prefix(StatusLog.maxBytes)), truncated: data.count > StatusLog.maxBytes)
  }
}
