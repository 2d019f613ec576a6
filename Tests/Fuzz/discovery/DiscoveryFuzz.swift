// libFuzzer target: the board-value checks (rumpk/FDT/FDTBoardValues.swift) that the kernel's HALs
// and Rumkv run on every value they take from a board tree, fed the values of any tree the way
// boot-time discovery reads them (one validating walk, reg from the walk node). Checked promises:
// regProblem is nil exactly when the reg entry decodes; what memory(_:holding:) and
// device(_:registers:below:) return satisfies the guarantees they state; regShift and regIOWidth
// return only the values they allow; claimedTreeSize reads the header's totalsize.

import FDT

/// The running image as the aarch64 kernel sees it, and the device limits the HALs use.
let image: Range<UInt64> = 0x4020_0000..<0x4040_0000
let limits: [UInt64] = [1 << 32, 0x4000_0000, UInt64.max]

/// Assumes libFuzzer's contract: `data` holds `size` readable bytes for the duration of the call.
/// Guarantees: returns 0; traps only when a board-value check breaks its documented guarantee.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiscovery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data else { return 0 }
  let blob = UnsafeRawBufferPointer(start: data, count: size)
  if size >= 8, let claimed = BoardValues.claimedTreeSize(at: data),
     claimed != UInt32(blob[4]) << 24 | UInt32(blob[5]) << 16 | UInt32(blob[6]) << 8 | UInt32(blob[7]) {
    fatalError("claimedTreeSize is not the header's totalsize")
  }
  var nodes: [FDTWalkNode] = []
  guard let fdt = try? FDT(blob, walk: { _, n in nodes.append(n); return nodes.count < 256 }) else { return 0 }
  for n in nodes {
    for index in 0..<3 {
      let reg = fdt.reg(n, index: index)
      if (fdt.regProblem(n, index: index) == nil) != (reg != nil) { fatalError("regProblem disagrees with reg") }
      checkMemory(reg)
      for limit in limits {
        for registers: UInt64 in [1, 0x1C, 0x1000] { checkDevice(reg, registers: registers, below: limit) }
      }
    }
    if let shift = try? BoardValues.regShift(fdt.cell(n, "reg-shift", index: 0)), shift > 2 { fatalError("reg-shift \(shift)") }
    if let width = try? BoardValues.regIOWidth(fdt.cell(n, "reg-io-width", index: 0)), width != 1 && width != 4 {
      fatalError("reg-io-width \(width)")
    }
  }
  return 0
}

/// Assumes nothing. Traps unless an accepted memory range holds the image without wrapping.
func checkMemory(_ reg: (address: UInt64, size: UInt64)?) {
  guard let r = try? BoardValues.memory(reg, holding: image) else { return }
  guard let reg, r.base == reg.address, r.size == reg.size, r.base < r.end,
        r.base <= image.lowerBound, image.upperBound <= r.end else {
    fatalError("memory(_:holding:) accepted \(String(describing: reg)) as \(r)")
  }
}

/// Assumes nothing. Traps unless an accepted device range is non-zero, large enough and in reach.
func checkDevice(_ reg: (address: UInt64, size: UInt64)?, registers: UInt64, below limit: UInt64) {
  guard let r = try? BoardValues.device(reg, registers: registers, below: limit) else { return }
  guard r.base != 0, r.base < r.end, r.end - r.base >= registers, r.end <= limit,
        r.contains(r.base, count: registers) else {
    fatalError("device(_:registers:below:) accepted \(String(describing: reg)) as \(r)")
  }
}
