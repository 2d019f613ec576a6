// One cell as Rumkv knows it: what the node configuration says (name, image, window, CPUs, devices)
// and what loading produced (entry point, DTB address, SysTable page). Names are slices of the board
// tree copy, which lives in Rumkv's memory for the whole run.

import FDT

public struct DeviceSet: Equatable, Sendable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  public static let uart = DeviceSet(rawValue: 1)
  public func contains(_ d: DeviceSet) -> Bool { rawValue & d.rawValue == d.rawValue }
}

public struct Cell {
  /// Index in the cell table: the cell id reported in CellInfo.
  public var id: UInt32 = 0
  /// The cell@N node, for messages.
  public var node = FDTNode(offset: 0)
  public var nodeName = UnsafeRawBufferPointer(start: nil, count: 0)
  public var name = UnsafeRawBufferPointer(start: nil, count: 0)
  public var image = UnsafeRawBufferPointer(start: nil, count: 0)
  /// RAM window, IPA = PA.
  public var window = PhysicalRange(base: 0, size: 0)!
  /// Physical CPUs owned, one bit per MPIDR Aff0 (0...63).
  public var cpus: UInt64 = 0
  public var devices = DeviceSet(rawValue: 0)

  // Filled in by loading.
  public var entry: UInt64 = 0
  public var dtb: UInt64 = 0
  /// Physical address of the Rumkv-owned page mapped at the SysTable IPA.
  public var sysTablePage: UInt64 = 0

  public init() {}

  public var path: ConfigPath { ConfigPath(cellNode: nodeName) }

  /// "rumkv: cell <name> " — the caller prints the rest of the line.
  public func begin() {
    Console.begin()
    Console.put("cell ")
    Console.put(bytes: name)
    Console.put(" ")
  }
}

/// The cells of the node: a fixed-size table, no heap.
public struct CellTable {
  public static let capacity = 8
  public var count = 0
  var storage = InlineArray<8, Cell>(repeating: Cell())

  public init() {}

  public subscript(_ i: Int) -> Cell {
    get { storage[i] }
    set { storage[i] = newValue }
  }

  /// Appends a cell; false when the table is full.
  public mutating func append(_ cell: Cell) -> Bool {
    guard count < CellTable.capacity else { return false }
    self[count] = cell
    count += 1
    return true
  }
}
