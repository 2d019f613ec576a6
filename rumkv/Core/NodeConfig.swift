// Reading the node configuration: the /rumkv node of the board tree (docs/decisions/
// A3-rumkv-node-config.md) becomes the cell table. Every property is checked before it is used; the
// first problem stops Rumkv with a line naming the node and the property.

import FDT

/// Memory the cell windows must stay clear of.
public struct NodeLayout {
  /// Rumkv's image, page pool (which holds the board tree copy) and stack.
  public var rumkv: PhysicalRange
  /// The page every cell sees its SysTable in (an IPA outside the window, backed by Rumkv memory).
  public var sysTable: PhysicalRange
  /// The bundle (initrd), read after the windows are checked and while cells are loaded.
  public var bundle: PhysicalRange?

  public init(rumkv: PhysicalRange, sysTable: PhysicalRange, bundle: PhysicalRange?) {
    self.rumkv = rumkv
    self.sysTable = sysTable
    self.bundle = bundle
  }
}

public enum NodeConfig {
  public static let compatible: StaticString = "rumpk,rumkv-1"
  public static let windowAlignment: UInt64 = 2 << 20
  public static let maxNameLength = 31

  /// Reads and validates /rumkv. Guarantees on return: 1...CellTable.capacity cells, each with a
  /// valid name and image name, a 2 MiB aligned window inside RAM and clear of `layout` and of the
  /// other windows, at least one CPU the board has and no CPU shared with another cell.
  public static func read(_ board: BoardDescription, layout: NodeLayout) throws(Refusal) -> CellTable {
    let fdt = board.fdt
    guard let rumkv = fdt.node(path: "/rumkv") else {
      Console.begin()
      Console.put("/rumkv: node missing from the board device tree (rumpkctl adds it; see A3)")
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }
    guard fdt.hasProperty(rumkv, "compatible") else { throw Report.missing(.root, "compatible") }
    guard fdt.isCompatible(rumkv, compatible) else {
      throw Report.malformed(.root, "compatible", "expected \"rumpk,rumkv-1\"")
    }

    var table = CellTable()
    var failure: Refusal? = nil
    fdt.forEachChild(of: rumkv) { node in
      do throws(Refusal) {
        let path = ConfigPath(cellNode: fdt.name(of: node))
        guard bytesEqual(fdt.baseName(of: node), "cell") else {
          Console.begin()
          path.put()
          Console.put(": unknown node (expected cell@N)")
          Console.end()
          throw Refusal(code: ExitCode.refused)
        }
        var cell = try readCell(board, node, layout: layout)
        try checkAgainstOthers(cell, table)
        cell.id = UInt32(table.count)
        guard table.append(cell) else {
          Console.begin()
          Console.put("/rumkv: more than 8 cells")
          Console.end()
          throw Refusal(code: ExitCode.refused)
        }
      } catch {
        failure = error
      }
      return failure == nil
    }
    if let failure { throw failure }
    guard table.count > 0 else {
      Console.begin()
      Console.put("/rumkv: no cell@N node")
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }
    return table
  }

  /// One cell@N node. Checks everything that concerns this cell alone.
  static func readCell(_ board: BoardDescription, _ node: FDTNode, layout: NodeLayout) throws(Refusal) -> Cell {
    let fdt = board.fdt
    var cell = Cell()
    cell.node = node
    cell.nodeName = fdt.name(of: node)
    let path = cell.path
    cell.name = try name(fdt, node, "name", path)
    cell.image = try name(fdt, node, "image", path)

    guard let memory = fdt.property(node, "memory") else { throw Report.missing(path, "memory") }
    guard memory.count == 16 else {
      Report.property(path, "memory")
      Console.put("malformed: expected 4 cells <base-hi base-lo size-hi size-lo>, got ")
      Console.dec(UInt64(memory.count / 4))
      Console.put(memory.count % 4 == 0 ? " cells" : " cells and stray bytes")
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }
    let base = be64(memory, 0), size = be64(memory, 8)
    guard let window = PhysicalRange(base: base, size: size), size != 0 else {
      throw Report.malformed(path, "memory", "the window is empty or wraps around")
    }
    cell.window = window
    guard window.isAligned(windowAlignment) else {
      windowProblem(path, window, "is not 2 MiB aligned (base and size)")
      throw Refusal(code: ExitCode.refused)
    }
    guard board.ramContains(window) else {
      windowProblem(path, window, "lies outside the board's RAM")
      throw Refusal(code: ExitCode.refused)
    }
    if window.overlaps(layout.rumkv) {
      windowProblem(path, window, "overlaps Rumkv itself at ", more: true)
      Report.range(layout.rumkv)
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }
    if let bundle = layout.bundle, window.overlaps(bundle) {
      windowProblem(path, window, "overlaps the cell bundle (initrd) at ", more: true)
      Report.range(bundle)
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }
    if window.overlaps(layout.sysTable) {
      windowProblem(path, window, "overlaps the SysTable page at IPA ", more: true)
      Console.hex(layout.sysTable.base)
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }

    let cpuCount = fdt.cellCount(node, "cpus")
    guard cpuCount > 0 else {
      throw fdt.hasProperty(node, "cpus")
        ? Report.malformed(path, "cpus", "expected at least one CPU number")
        : Report.missing(path, "cpus")
    }
    for i in 0..<cpuCount {
      let cpu = UInt64(fdt.cell(node, "cpus", index: i) ?? UInt32.max)
      guard cpu < 64, board.cpuNode(cpu) != nil else {
        Report.property(path, "cpus")
        Console.put("malformed: names CPU ")
        Console.dec(cpu)
        Console.put(", which the board does not have")
        Console.end()
        throw Refusal(code: ExitCode.refused)
      }
      cell.cpus |= 1 << cpu
    }

    if fdt.hasProperty(node, "devices") {
      var unknown: UnsafeRawBufferPointer? = nil
      var devices = DeviceSet(rawValue: 0)
      fdt.forEachString(node, "devices") { d in
        if bytesEqual(d, "uart") {
          devices.rawValue |= DeviceSet.uart.rawValue
        } else {
          unknown = d
        }
        return unknown == nil
      }
      if let unknown {
        Report.property(path, "devices")
        Console.put("malformed: names unknown device '")
        Console.put(bytes: unknown)
        Console.put("' (known: uart)")
        Console.end()
        throw Refusal(code: ExitCode.refused)
      }
      cell.devices = devices
      guard !devices.contains(.uart) || board.uart != nil else {
        Report.property(path, "devices")
        Console.put("names uart, but the board has no usable console UART (see the line about its reg)")
        Console.end()
        throw Refusal(code: ExitCode.refused)
      }
    }
    return cell
  }

  /// Windows and CPUs are not shared between cells.
  static func checkAgainstOthers(_ cell: Cell, _ table: CellTable) throws(Refusal) {
    for i in 0..<table.count {
      let other = table[i]
      if cell.window.overlaps(other.window) {
        windowProblem(cell.path, cell.window, "overlaps the window of /rumkv/", more: true)
        Console.put(bytes: other.nodeName)
        Console.end()
        throw Refusal(code: ExitCode.refused)
      }
      if cell.cpus & other.cpus != 0 {
        Report.property(cell.path, "cpus")
        Console.put("malformed: shares a CPU with /rumkv/")
        Console.put(bytes: other.nodeName)
        Console.end()
        throw Refusal(code: ExitCode.refused)
      }
    }
  }

  /// Prints "rumkv: <path>: property 'memory' window <range> <why>"; ends the line unless
  /// `more` says the caller adds to it (an address, a node name).
  static func windowProblem(_ path: ConfigPath, _ window: PhysicalRange, _ why: StaticString, more: Bool = false) {
    Report.property(path, "memory")
    Console.put("window ")
    Report.range(window)
    Console.put(" ")
    Console.put(why)
    if !more { Console.end() }
  }

  /// A property holding exactly one string of 1...31 printable ASCII characters (a bundle entry
  /// name has the same rules). Returns the string without NUL.
  static func name(_ fdt: FDT, _ node: FDTNode, _ property: StaticString, _ path: ConfigPath)
    throws(Refusal) -> UnsafeRawBufferPointer
  {
    guard let v = fdt.property(node, property) else { throw Report.missing(path, property) }
    guard v.count >= 2, v.count - 1 <= maxNameLength, v[v.count - 1] == 0 else {
      throw Report.malformed(path, property, "expected one string of 1 to 31 printable characters")
    }
    for i in 0..<(v.count - 1) where v[i] < 0x21 || v[i] > 0x7E {
      throw Report.malformed(path, property, "expected one string of 1 to 31 printable characters")
    }
    return UnsafeRawBufferPointer(rebasing: v[0..<(v.count - 1)])
  }

  static func be64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<8 { v = v << 8 | UInt64(b[o + i]) }
    return v
  }
}

/// True when `a` holds exactly the bytes of `s`.
func bytesEqual(_ a: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
  guard a.count == s.utf8CodeUnitCount else { return false }
  for i in 0..<a.count where a[i] != s.utf8Start[i] { return false }
  return true
}
