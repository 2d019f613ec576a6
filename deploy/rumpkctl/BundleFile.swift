// The cell-image bundle (A2) that the node loads as its initrd, written with CellBundle.BundleWriter.

import CellBundle
import Foundation

enum BundleFile {
  /// One bundle entry per cell: named after the cell (its /rumkv/cell@N `image`), holding its ELF
  /// reduced to what Rumkv loads (LoadableImage; a file that is not a well-formed ELF goes in as it
  /// is, for Rumkv to refuse with its own message).
  static func make(entries: [(name: String, image: [UInt8])]) throws -> [UInt8] {
    let names = entries.map { Array($0.name.utf8) }
    let images = entries.map { loadable($0.image) }
    let total = images.map(\.count).withUnsafeBufferPointer { BundleWriter.size(imageSizes: $0) }
    var out = [UInt8](repeating: 0, count: total)
    let written: Int
    do {
      written = try withRawBuffers(names) { names in
        try withRawBuffers(images) { images in
          try out.withUnsafeMutableBytes { try BundleWriter.write(names: names, images: images, into: $0) }
        }
      }
    } catch {
      throw UserError("cannot write the cell bundle: \(error)")
    }
    return Array(out[0..<written])
  }

  /// `elf` without section headers, symbols and padding, or `elf` itself when it cannot be reduced.
  static func loadable(_ elf: [UInt8]) -> [UInt8] {
    elf.withUnsafeBytes { e in
      guard let size = LoadableImage.compactSize(of: e) else { return elf }
      var out = [UInt8](repeating: 0, count: size)
      let written = out.withUnsafeMutableBytes { LoadableImage.compact(e, into: $0) }
      return written == size ? out : elf
    }
  }

  /// Calls `body` with raw views of `arrays`, valid for the duration of the call.
  private static func withRawBuffers<R>(_ arrays: [[UInt8]],
                                        _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) throws -> R {
    let copies = arrays.map { a -> UnsafeMutableRawBufferPointer in
      let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(a.count, 1), alignment: 16)
      p.copyBytes(from: a)
      return p
    }
    defer { copies.forEach { $0.deallocate() } }
    let views = zip(copies, arrays).map { UnsafeRawBufferPointer(rebasing: $0.0[0..<$0.1.count]) }
    return try views.withUnsafeBufferPointer { try body($0) }
  }
}
