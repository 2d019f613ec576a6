// Publishes the SysTable at its fixed address: header, the 12 entry points, empty rings.

import RumpkABI

public enum SysTableSetup {
  /// Formats the table at `table` and points each syscall slot at `entries[n]`.
  /// Assumes the page is mapped and owned by the kernel; guarantees a valid ABI v1 header on return.
  public static func install(at table: SysTable, entries: UnsafeBufferPointer<UInt64>) {
    table.format()
    for call in Syscall.allCases where call.rawValue < entries.count {
      table.setEntry(call, entries[call.rawValue])
    }
  }
}
