// The console lines about a device-tree value the cell does not use: "rumpk: <node> <property>:
// <reason>; <what happens instead>". A value with a fallback gets a warning and boot goes on; one
// without stops the cell with BoardReport.refusedCode (docs/decisions/K10-board-values.md).

import RumpkPlatform

public enum BoardReport {
  /// The halt code of a cell that refuses its machine (sysexits' EX_CONFIG).
  public static let refusedCode: UInt64 = 78

  /// Prints the line for `node` (a path from the tree, printed as Console.put(bytes:) does) and goes
  /// on. `reason` is a BoardValueProblem's reason or another short text.
  public static func warn(_ node: UnsafeRawBufferPointer, _ property: StaticString, _ reason: StaticString,
                          _ instead: StaticString) {
    Console.put("rumpk: ")
    Console.put(bytes: node)
    line(property, reason, instead)
  }

  /// warn(_:_:_:_:) for a node named by static text ("/memory").
  public static func warn(_ node: StaticString, _ property: StaticString, _ reason: StaticString,
                          _ instead: StaticString) {
    Console.put("rumpk: ")
    Console.put(node)
    line(property, reason, instead)
  }

  /// Prints the line with "stopping the cell" and halts with refusedCode. Assumes the console is set
  /// up (a broken one drops the line; the halt still happens).
  public static func refuse(_ node: StaticString, _ property: StaticString, _ reason: StaticString) -> Never {
    warn(node, property, reason, "stopping the cell")
    rumpk_platform_halt(refusedCode)
  }

  static func line(_ property: StaticString, _ reason: StaticString, _ instead: StaticString) {
    Console.put(" ")
    Console.put(property)
    Console.put(": ")
    Console.put(reason)
    Console.put("; ")
    Console.put(instead)
    Console.put("\n")
  }
}

extension BoardReport {
  /// "rumpk: device tree at 0x<address>: <reason>; stopping the cell", then halts with
  /// refusedCode: a tree that is there (it has the FDT magic) but cannot be read is refused, never
  /// taken for a missing one. `totalSize` (the header's) is printed when given.
  public static func refuseTree(at address: UInt64, _ reason: StaticString, totalSize: UInt64? = nil,
                                limit: UInt64 = 0) -> Never {
    Console.put("rumpk: device tree at 0x")
    Console.hex(address)
    Console.put(": ")
    Console.put(reason)
    if let totalSize {
      Console.put(" (totalsize ")
      Console.dec(totalSize)
      Console.put(" bytes, limit ")
      Console.dec(limit)
      Console.put(")")
    }
    Console.put("; stopping the cell\n")
    rumpk_platform_halt(refusedCode)
  }
}
