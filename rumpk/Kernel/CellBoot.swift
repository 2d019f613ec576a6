// The portable half of cell start-up, run by every HAL once its console works: publish the SysTable,
// seed entropy, print the banner, run the NPL, halt with its result.

import RumpkABI
import RumpkPlatform

public struct CellIdentity {
  public var arch: StaticString
  public var privilege: StaticString     // "EL1", "S-mode", "hosted"
  public var enteredAt: StaticString     // how the image was entered ("EL2", "EL1", "S-mode", "process")
  public init(arch: StaticString, privilege: StaticString, enteredAt: StaticString) {
    self.arch = arch
    self.privilege = privilege
    self.enteredAt = enteredAt
  }
}

public enum CellBoot {
  /// Installs the SysTable at the fixed address with direct entry points, prints the banner and
  /// runs the NPL. Assumes console, heap and the SysTable page are usable. Never returns: when the
  /// NPL returns without halting, the cell halts with code 0.
  public static func run(_ id: CellIdentity, seed: UnsafeRawBufferPointer, npl: @convention(c) (UInt64) -> Void) -> Never {
    var raw: UInt64 = 0
    withUnsafeMutableBytes(of: &raw) { rumpk_platform_entropy($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 8) }
    Entropy.seed(word: raw)
    Entropy.seed(seed)

    let table = SysTable.fixed
    DirectEntries.addresses().withUnsafeBufferPointer { SysTableSetup.install(at: table, entries: $0) }

    Console.write("rumpk: \(id.arch) \(id.privilege) (entered at \(id.enteredAt))\n")
    Console.write("rumpk: SysTable at 0x\(hex(UInt64(SysTableLayout.address))) magic 0x\(hex(UInt64(table.magic))) size \(table.size) abi \(table.abi)\n")
    npl(0)
    rumpk_platform_halt(0)
  }

  public static func hex(_ v: UInt64) -> String {
    let digits: StaticString = "0123456789ABCDEF"
    var out: [UInt8] = []
    var started = false
    var shift: UInt64 = 60
    while true {
      let d = Int((v >> shift) & 0xF)
      if d != 0 || started || shift == 0 {
        started = true
        out.append(digits.utf8Start[d])
      }
      if shift == 0 { break }
      shift -= 4
    }
    return String(decoding: out, as: UTF8.self)
  }
}

public enum Console {
  public static func write(_ s: String) {
    var copy = s
    copy.withUTF8 { rumpk_platform_console_write($0.baseAddress, $0.count) }
  }
}
