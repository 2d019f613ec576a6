// Where a cell's memory goes: the image, then heap, Bridgehead and Wild, inside the RAM the device
// tree describes (docs/decisions/K3-cellular-memory.md, K9-npl-windows.md, K10-board-values.md).

import RumpkABI

/// Where everything of a cell lives in its RAM window, from the image's link symbols up.
public struct CellMemoryPlan {
  public var text: Region          // fiber entry points must lie here
  public var image: Region         // readable by every NPL (text, rodata, data, bss)
  public var heap: Region          // kernel and NPL heap (posix_memalign)
  public var bridgehead: Region
  public var wild: Region
  public var writableShared: Region  // image data + heap
  /// Where NPL code sees its image and Wild (K9-npl-windows.md); `.none`: at the kernel's addresses.
  /// With windows, `text` is in window A and `image`/`writableShared` are kernel addresses.
  public var imageWindow = UserWindow.none
  public var partitionWindow = UserWindow.none

  /// Moves the NPL side into the windows (K9): `text` becomes the NPL text in window A (what spawn
  /// may enter); `image` the NPL text and rodata and `writableShared` its data, bss and heap, both at
  /// their kernel (load) addresses, which the syscall layer checks translated pointers against.
  /// `textStart`, `textEnd`, `rodataEnd` and `dataStart` are window-A addresses from the link script.
  public mutating func placeNPL(in window: UserWindow, partitions: UserWindow, textStart: UInt64, textEnd: UInt64,
                                rodataEnd: UInt64, dataStart: UInt64) {
    text = Region(base: textStart, size: textEnd - textStart)
    image = Region(base: window.kernel, size: rodataEnd - window.user)
    let data = window.kernel + (dataStart - window.user)
    writableShared = Region(base: data, size: heap.end - data)
    imageWindow = window
    partitionWindow = partitions
  }

  public init(text: Region, image: Region, heap: Region, bridgehead: Region, wild: Region, writableShared: Region) {
    self.text = text
    self.image = image
    self.heap = heap
    self.bridgehead = bridgehead
    self.wild = wild
    self.writableShared = writableShared
  }

  public static let heapBytes: UInt64 = 8 << 20
  public static let bridgeheadBytes: UInt64 = 2 << 20
  public static let wildBytes: UInt64 = 32 << 20

  /// Lays out heap, Bridgehead and Wild after the image, clamped to the window's end and kept below
  /// the SysTable page when it sits above the image. Assumes nothing about its inputs (ramEnd comes
  /// from the device tree): throws .imageOrder unless imageStart < textEnd <= dataStart <= heapStart,
  /// .ramEndsInImage when ramEnd < heapStart (RAM ends below what the image loads). Guarantees on
  /// return: every region lies in [imageStart, max(ramEnd, heapStart)) and no size wrapped.
  public static func make(imageStart: UInt64, textEnd: UInt64, dataStart: UInt64, heapStart: UInt64,
                          ramEnd: UInt64) throws(MemoryPlanError) -> CellMemoryPlan {
    guard imageStart < textEnd, textEnd <= dataStart, dataStart <= heapStart else { throw .imageOrder }
    guard heapStart <= ramEnd else { throw .ramEndsInImage }
    var limit = ramEnd
    let table = UInt64(SysTableLayout.address)
    if table > heapStart && table < limit { limit = table }
    func take(_ from: UInt64, _ bytes: UInt64) -> Region {
      let start = min(from, limit)
      return Region(base: start, size: min(bytes, limit - start))
    }
    let heap = take(heapStart, heapBytes)
    let bridgehead = take(heap.end, bridgeheadBytes)
    let wild = take(bridgehead.end, wildBytes)
    return CellMemoryPlan(
      text: Region(base: imageStart, size: textEnd - imageStart),
      image: Region(base: imageStart, size: heapStart - imageStart),
      heap: heap, bridgehead: bridgehead, wild: wild,
      writableShared: Region(base: dataStart, size: heap.end - dataStart))
  }
}

/// Why CellMemoryPlan.make refused its inputs.
public enum MemoryPlanError: Error, Equatable {
  /// The link symbols are out of order (a broken link script, never a device tree).
  case imageOrder
  /// RAM (the device tree's /memory) ends below the end of what the image loads.
  case ramEndsInImage
}

extension CellMemoryPlan {
  /// make(...) as both HALs call it at boot, where RAM's end comes from /memory: a plan that cannot
  /// be laid out stops the cell with BoardReport's refusal of /memory ("ends inside the image").
  public static func makeAtBoot(imageStart: UInt64, textEnd: UInt64, dataStart: UInt64, heapStart: UInt64,
                                ramEnd: UInt64) -> CellMemoryPlan {
    do throws(MemoryPlanError) {
      return try make(imageStart: imageStart, textEnd: textEnd, dataStart: dataStart, heapStart: heapStart,
                      ramEnd: ramEnd)
    } catch {
      BoardReport.refuse("/memory", "reg", "ends inside the image")
    }
  }
}
