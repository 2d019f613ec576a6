// The portable part of bringing a node up: read the configuration, open the bundle, and for each
// cell load its image and write its device tree into its window. What remains is architecture work:
// the stage-2 tables and entering the cell.

import CellBundle
import FDT

public enum Node {
  /// Reads /rumkv, validates the bundle (`bundle` = the initrd's bytes, nil when the board tree
  /// names none) and loads every cell. `memory` gives the cell windows as Rumkv reaches them;
  /// `archTree` adds the architecture's nodes to each cell tree. Returns the cells with entry
  /// point and DTB address filled in.
  public static func prepare(
    board: BoardDescription, layout: NodeLayout, bundle: UnsafeRawBufferPointer?, machine: UInt16,
    memory: (PhysicalRange) -> GuestMemory,
    archTree: (inout FDTWriter, BoardDescription, Cell) throws(FDTError) -> Void
  ) throws(Refusal) -> CellTable {
    var table = try NodeConfig.read(board, layout: layout)
    guard let bundle else {
      Console.begin()
      Console.put("/chosen: property 'linux,initrd-start' missing: no cell bundle (pass it as the initrd; QEMU loads none for an ELF kernel, so boot the flat image)")
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }
    let reader: BundleReader
    do throws(BundleError) {
      reader = try BundleReader(bundle)
    } catch {
      Console.begin()
      Console.put("bundle at ")
      Console.hex(layout.bundle?.base ?? 0)
      Console.put(" (")
      Console.dec(UInt64(bundle.count))
      Console.put(" bytes) refused: ")
      describe(error)
      Console.end()
      throw Refusal(code: ExitCode.refused)
    }

    for i in 0..<table.count {
      var cell = table[i]
      let entry: BundleEntry
      do throws(BundleError) {
        entry = try reader.entry(named: cell.image)
      } catch {
        Report.property(cell.path, "image")
        Console.put("'")
        Console.put(bytes: cell.image)
        Console.put("' refused: ")
        describe(error)
        Console.end()
        throw Refusal(code: ExitCode.refused)
      }
      let guest = memory(cell.window)
      let treeArea = PhysicalRange(base: cell.window.base, size: CellTree.reservedSize)!
      cell.entry = try ELFLoader.load(entry.image, into: guest, machine: machine, reserved: treeArea, cell: cell)
      cell.dtb = treeArea.base
      let snapshot = cell
      do throws(FDTError) {
        let out = guest.bytes(at: treeArea.base, count: treeArea.size)!
        _ = try CellTree.write(into: out, board: board, cell: cell) { (w) throws(FDTError) in
          try archTree(&w, board, snapshot)
        }
      } catch {
        cell.begin()
        Console.put("device tree could not be written (FDTError ")
        describe(error)
        Console.put(")")
        Console.end()
        throw Refusal(code: ExitCode.refused)
      }
      table[i] = cell
    }
    return table
  }

  /// The bundle error's name and what it means.
  public static func describe(_ error: BundleError) {
    switch error {
    case .truncated: Console.put("truncated: shorter than its header or total size says")
    case .badMagic: Console.put("badMagic: not a Rumkv bundle (magic RKVB)")
    case .unsupportedVersion: Console.put("unsupportedVersion: not bundle version 1")
    case .badHeader: Console.put("badHeader: header or entry sizes or the entry count are invalid")
    case .headerChecksum: Console.put("headerChecksum: CRC-32 of header and entry table does not match")
    case .entryOutOfBounds: Console.put("entryOutOfBounds: an image lies outside the bundle")
    case .badName: Console.put("badName: an entry name is not terminated printable ASCII")
    case .imageChecksum: Console.put("imageChecksum: the image's CRC-32 does not match (corrupt image)")
    case .notFound: Console.put("notFound: the bundle has no image of that name")
    case .noSpace: Console.put("noSpace")
    }
  }

  static func describe(_ error: FDTError) {
    switch error {
    case .noSpace: Console.put("noSpace")
    case .notFound: Console.put("notFound")
    case .badStructure: Console.put("badStructure")
    case .badString: Console.put("badString")
    default: Console.put("other")
    }
  }
}
