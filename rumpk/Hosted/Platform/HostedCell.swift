// Hosted mode's cell: the SysTable mapped at its fixed address inside this Linux process, a private
// arena for the Bridgehead and Wild, and CellBoot run exactly as on metal. The NPL code is the same
// source that builds for bare metal; here it is linked into the process.

import Glibc
import RumpkABI
import RumpkKernel

public enum HostedCell {
  public static let arenaBytes = 256 << 20
  public static let wildBytes: UInt64 = 192 << 20

  public enum Failure: Error { case sysTableAddressTaken, noArena }

  /// Maps the SysTable page at the ABI address. Fails when something already occupies it.
  public static func mapSysTable() throws(Failure) {
    let want = UnsafeMutableRawPointer(bitPattern: SysTableLayout.address)
    let got = mmap(want, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
    guard got == want else {
      if got != MAP_FAILED { munmap(got, 4096) }
      throw .sysTableAddressTaken
    }
  }

  /// Runs `npl` as the cell's first fiber and returns its halt code. The process's code is the
  /// image (fiber entries must lie in it); its data and heap are the NPL-writable shared region,
  /// because hosted NPLs allocate through glibc.
  public static func run(npl: @convention(c) (UInt64) -> Void) throws(Failure) -> UInt64 {
    try mapSysTable()
    guard let arena = mmap(nil, arenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
          arena != MAP_FAILED else { throw .noArena }
    let base = UInt64(UInt(bitPattern: arena))
    let bridgehead = Region(base: base, size: UInt64(arenaBytes) - wildBytes)
    let wild = Region(base: bridgehead.end, size: wildBytes)
    let text = HostedImage.text
    let data = HostedImage.data
    let heapEnd = UInt64(UInt(bitPattern: sbrk(0))) + (1 << 30)
    let plan = CellMemoryPlan(
      text: text, image: Region(base: text.base, size: data.end - text.base), heap: .empty,
      bridgehead: bridgehead, wild: wild, writableShared: Region(base: data.base, size: heapEnd - data.base))
    UserMemory.setShared(readOnly: plan.image, readWrite: plan.writableShared)
    var seed = [UInt8](repeating: 0, count: 32)
    seed.withUnsafeMutableBytes { hostedEntropy($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 32) }
    return seed.withUnsafeBytes {
      CellBoot.run(CellIdentity(arch: "x86_64", privilege: "hosted", enteredAt: "process"),
                   plan: plan, seed: $0, npl: npl, stackPages: 16)
    }
  }
}
