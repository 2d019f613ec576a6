// The libvirt domain for a node: TCG aarch64 `virt` with GICv3 and EL2 on, Rumkv as the kernel,
// the cell bundle as the initrd, the node DTB, one serial console to a file, Rumkv's management port
// (a virtio-console on the last virtio-mmio transport, to a file), and nothing else.

import Foundation
import StatusLog

struct DomainFiles {
  var kernel: URL
  var initrd: URL
  var dtb: URL
  var consoleLog: URL
  /// Where Rumkv's management port writes (docs/decisions/A5-status-channel.md).
  var managementLog: URL
  var emulator: String
}

enum DomainXML {
  /// The domain XML for `plan`. Fixed UUID derived from the node's name, so redefining the same
  /// node gives the same domain.
  static func make(plan: NodePlan, files: DomainFiles) -> String {
    let b = plan.board
    // EL2 has no libvirt element: -machine virtualization=on is passed through and QEMU merges it
    // with libvirt's own -machine option (the domain is then marked tainted: custom-argv).
    // libvirt always passes -no-shutdown (QEMU stays, paused, after the guest powers off, until
    // libvirt handles the event); with no rumpkctl connected to the embedded driver nobody would, so
    // `-action shutdown=poweroff` (later on the command line, so it wins) lets QEMU exit by itself
    // when Rumkv powers the node off.
    let extraMachine = b.machineOptions.filter { !$0.hasPrefix("gic-version=") }.joined(separator: ",")
    return """
      <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
        <name>\(escape(plan.name))</name>
        <uuid>\(uuid(forName: plan.name))</uuid>
        <title>Rumkv node \(escape(plan.name))</title>
        <description>Defined by rumpkctl: Rumkv at EL2 running cells \(escape(plan.cells.map(\.cell.name).joined(separator: ", ")))</description>
        <memory unit='MiB'>\(b.memoryMiB)</memory>
        <vcpu placement='static'>\(b.cpus)</vcpu>
        <os>
          <type arch='aarch64' machine='\(escape(b.machine))'>hvm</type>
          <kernel>\(escape(files.kernel.path))</kernel>
          <initrd>\(escape(files.initrd.path))</initrd>
          <dtb>\(escape(files.dtb.path))</dtb>
        </os>
        <features>
          <gic version='3'/>
        </features>
        <cpu mode='custom' match='exact' check='none'>
          <model fallback='forbid'>\(escape(b.cpuModel))</model>
        </cpu>
        <clock offset='utc'/>
        <on_poweroff>destroy</on_poweroff>
        <on_reboot>destroy</on_reboot>
        <on_crash>destroy</on_crash>
        <devices>
          <emulator>\(escape(files.emulator))</emulator>
          <controller type='usb' model='none'/>
          <serial type='file'>
            <source path='\(escape(files.consoleLog.path))' append='on'/>
            <target port='0'/>
          </serial>
          <memballoon model='none'/>
        </devices>
        <qemu:commandline>
          <qemu:arg value='-machine'/>
          <qemu:arg value='\(escape(extraMachine))'/>
          <qemu:arg value='-action'/>
          <qemu:arg value='shutdown=poweroff'/>
      \(StatusPortFile.arguments(path: files.managementLog, arch: Arch.aarch64.rawValue).map { "    <qemu:arg value='\(escape($0))'/>" }.joined(separator: "\n      "))
        </qemu:commandline>
      </domain>

      """
  }

  static func escape(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "'": out += "&apos;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }

  /// A name-based UUID (RFC 9562 version 8, custom): two FNV-1a 64-bit hashes of the name with
  /// different seeds. Stable across runs and hosts.
  static func uuid(forName name: String) -> String {
    func fnv(_ seed: UInt64) -> UInt64 {
      var h = seed
      for b in Array("rumpk-node:\(name)".utf8) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
      return h
    }
    var bytes = [UInt8](repeating: 0, count: 16)
    let hi = fnv(0xCBF2_9CE4_8422_2325), lo = fnv(0x6C62_272E_07BB_0142)
    for i in 0..<8 {
      bytes[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i)))
      bytes[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i)))
    }
    bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8
    bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
    let h = bytes.map { String(format: "%02x", $0) }.joined()
    let parts = [h.prefix(8), h.dropFirst(8).prefix(4), h.dropFirst(12).prefix(4), h.dropFirst(16).prefix(4), h.dropFirst(20)]
    return parts.map(String.init).joined(separator: "-")
  }
}
