// How Rumkv stops: every refusal prints one line naming what is wrong (the device-tree node and
// property, the bundle error, the faulting address) and then the node powers off with a code that
// says which class of problem it was. The thrown value carries only that code: the message has
// already been printed where the problem was found, with the context at hand.

public struct Refusal: Error, Equatable {
  public let code: UInt64
  public init(code: UInt64) { self.code = code }
}

/// Rumkv's own codes for why the node powered off, in the management channel's "off" record
/// (docs/decisions/A5-status-channel.md). A cell's halt code travels in that cell's "halted" record,
/// never here, so no cell can make its end look like one of these.
public enum ExitCode {
  /// Every cell ended by itself (SYSTEM_OFF); their codes are in their "halted" records.
  public static let cellsEnded: UInt64 = 0
  /// The node configuration, the bundle or a cell image was refused at boot.
  public static let refused: UInt64 = 2
  /// A cell touched memory outside its stage-2 mappings.
  public static let stage2Fault: UInt64 = 3
  /// A cell trapped in a way Rumkv does not handle.
  public static let unexpectedTrap: UInt64 = 4
  /// Rumkv itself took an exception.
  public static let rumkvFault: UInt64 = 5
}

/// The node a message is about, printed as "/rumkv" or "/rumkv/cell@0".
public struct ConfigPath {
  public var cellNode: UnsafeRawBufferPointer?

  public static var root: ConfigPath { ConfigPath(cellNode: nil) }

  public init(cellNode: UnsafeRawBufferPointer?) { self.cellNode = cellNode }

  public func put() {
    Console.put("/rumkv")
    if let cellNode {
      Console.put("/")
      Console.put(bytes: cellNode)
    }
  }
}

public enum Report {
  /// Begins "rumkv: <path>: property '<name>' " — the caller prints the rest and ends the line.
  public static func property(_ path: ConfigPath, _ name: StaticString) {
    Console.begin()
    path.put()
    Console.put(": property '")
    Console.put(name)
    Console.put("' ")
  }

  /// Prints "rumkv: <path>: property '<name>' missing" and returns the refusal to throw.
  public static func missing(_ path: ConfigPath, _ name: StaticString) -> Refusal {
    property(path, name)
    Console.put("missing")
    Console.end()
    return Refusal(code: ExitCode.refused)
  }

  /// Prints "rumkv: <path>: property '<name>' malformed: <why>" and returns the refusal.
  public static func malformed(_ path: ConfigPath, _ name: StaticString, _ why: StaticString) -> Refusal {
    property(path, name)
    Console.put("malformed: ")
    Console.put(why)
    Console.end()
    return Refusal(code: ExitCode.refused)
  }

  /// Prints "base-end" of a range as two hex numbers, end exclusive.
  public static func range(_ r: PhysicalRange) {
    Console.hex(r.base)
    Console.put("-")
    Console.hex(r.end)
  }
}
