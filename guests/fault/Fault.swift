// fault: NPL fibers that break the rules of EL0 / U-mode (docs/decisions/K6-el0-npls.md). Each child touches
// something it does not own, or runs an undefined instruction; the kernel reports the fault and ends
// that fiber only. The main fiber goes on, checks its own stack was left alone, and halts with 0.
// Uses only the ABI.

import RumpkABI
import RumpkNPL

#if arch(arm64) || arch(riscv64)
/// One undefined instruction (the all-zero word: UDF #0 on aarch64, an illegal instruction on
/// riscv64), placed among the image's code so user mode may fetch it: calling it is an
/// undefined-instruction exception (ESR EC 0, scause 2), not an abort.
@section(".text.npl_fault_udf") @used
nonisolated(unsafe) var undefinedInstruction: UInt32 = 0
#endif

typealias Entry = @convention(c) (UInt64) -> Void

#if arch(arm64) || arch(riscv64)
/// Not a function: the first word of the kernel's private data (.kdata), which the link scripts
/// export under this name for this test (the guest takes its address, never calls it).
@_extern(c, "rumpk_kernel_data_probe") func kernelDataProbe()
/// Not called either: the first word of kernel text that user mode used to see (link scripts).
@_extern(c, "rumpk_kernel_text_probe") func kernelTextProbe()
#endif

/// Reads address 0x10: the device region, never open to user mode.
@_cdecl("fault_read_low")
public func readLow(_ arg: UInt64) {
  NPL.write("fault: child reads 0x10\n")
  let v = UnsafePointer<UInt64>(bitPattern: 0x10)!.pointee
  if v != 0x5eed { NPL.write("fault: child read 0x10 and lived (wrong)\n") }
}

/// Writes the SysTable page: read-only in user mode.
@_cdecl("fault_write_systable")
public func writeSysTable(_ arg: UInt64) {
  NPL.write("fault: child writes the SysTable\n")
  UnsafeMutablePointer<UInt64>(bitPattern: UInt(SysTableLayout.address))!.pointee = 0
  NPL.write("fault: child wrote the SysTable and lived (wrong)\n")
}

/// Writes `arg`, an address on the main fiber's stack: another fiber's partition.
@_cdecl("fault_write_other_stack")
public func writeOtherStack(_ arg: UInt64) {
  NPL.write("fault: child writes the main fiber's stack\n")
  UnsafeMutablePointer<UInt64>(bitPattern: UInt(arg))!.pointee = 0xBAD
  NPL.write("fault: child wrote another fiber's stack and lived (wrong)\n")
}

/// Writes a kernel global: kernel data is EL1-only / S-only (link.ld, MMU.swift), so this is a
/// permission fault (a store page fault on riscv64) that ends this fiber, and the scheduler the
/// kernel keeps there is untouched.
@_cdecl("fault_write_kernel_data")
public func writeKernelData(_ arg: UInt64) {
  #if arch(arm64) || arch(riscv64)
  let address = UInt64(UInt(bitPattern: unsafeBitCast(kernelDataProbe as @convention(c) () -> Void, to: UnsafeRawPointer.self)))
  NPL.write("fault: child writes kernel data at 0x")
  Digits.with(address, radix: 16) { NPL.write($0) }
  NPL.write("\n")
  UnsafeMutablePointer<UInt64>(bitPattern: UInt(address))!.pointee = 0xBAD
  NPL.write("fault: child wrote kernel data and lived (wrong)\n")
  #endif
}

/// Reads the kernel's text: user mode executes only the page of SysTable stubs there and reads
/// none of it (K9), so this is a permission fault (a load page fault on riscv64).
@_cdecl("fault_read_kernel_text")
public func readKernelText(_ arg: UInt64) {
  #if arch(arm64) || arch(riscv64)
  let address = UInt64(UInt(bitPattern: unsafeBitCast(kernelTextProbe as @convention(c) () -> Void, to: UnsafeRawPointer.self)))
  NPL.write("fault: child reads kernel text at 0x")
  Digits.with(address, radix: 16) { NPL.write($0) }
  NPL.write("\n")
  let v = UnsafePointer<UInt64>(bitPattern: UInt(address))!.pointee
  if v != 0x5eed { NPL.write("fault: child read kernel text and lived (wrong)\n") }
  #endif
}

/// Executes an undefined instruction.
@_cdecl("fault_undefined")
public func undefined(_ arg: UInt64) {
  NPL.write("fault: child executes an undefined instruction\n")
  #if arch(arm64) || arch(riscv64)
  let code = withUnsafeMutablePointer(to: &undefinedInstruction) { UnsafeRawPointer($0) }
  unsafeBitCast(code, to: (@convention(c) () -> Void).self)()
  #endif
  NPL.write("fault: child ran an undefined instruction and lived (wrong)\n")
}

/// Writes the data area of /dev/blk0, which it opened read-only: the channel's pages are read-only
/// in user mode (the kernel's driver writes them through its own mapping). Without a disk there is
/// no channel and nothing to test.
@_cdecl("fault_write_readonly_channel")
public func writeReadOnlyChannel(_ arg: UInt64) {
  guard let channel = DeviceChannel.mapReadOnly("/dev/blk0") else {
    NPL.write("fault: no device channel to write (no disk attached)\n")
    return
  }
  let address = UInt64(UInt(bitPattern: channel)) + 0x2000
  NPL.write("fault: child writes a channel it opened read-only at 0x")
  Digits.with(address, radix: 16) { NPL.write($0) }
  NPL.write("\n")
  UnsafeMutablePointer<UInt64>(bitPattern: UInt(address))!.pointee = 0xBAD
  NPL.write("fault: child wrote a read-only channel and lived (wrong)\n")
}

func address(_ e: Entry) -> UInt64 { UInt64(UInt(bitPattern: unsafeBitCast(e, to: UnsafeRawPointer.self))) }

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  var mine: UInt64 = 0x600D
  let target = withUnsafeMutablePointer(to: &mine) { UInt64(UInt(bitPattern: $0)) }
  let children: [Entry] = [readLow, writeSysTable, writeOtherStack, undefined, writeKernelData, readKernelText,
                           writeReadOnlyChannel]
  for child in children {
    let id = NPL.spawn(entry: address(child), arg: target, tier: .matter, promises: [.stdio, .mem, .ring])
    if id < 0 { NPL.write("fault: spawn failed\n"); NPL.halt(1) }
    NPL.yield()  // the child runs (same tier, ready) and dies before this returns
  }
  // A partition that spans many 2 MiB blocks of window B: 12 MiB mapped, its first and last word
  // written and read back (each block is one more private table in this fiber's view).
  let big: UInt64 = 12 << 20
  let region = NPL.map(hint: 0, length: big, flags: 1)
  if region > 0 {
    let first = UnsafeMutablePointer<UInt64>(bitPattern: UInt(region))!
    let last = UnsafeMutablePointer<UInt64>(bitPattern: UInt(UInt64(region) + big - 8))!
    first.pointee = 0x1111
    last.pointee = 0x2222
    if first.pointee == 0x1111 && last.pointee == 0x2222 { NPL.write("fault: a 12 MiB mapping is usable end to end\n") }
    _ = NPL.unmap(address: UInt64(region), length: big)
  } else {
    NPL.write("fault: map of 12 MiB failed\n")
  }
  let still = withUnsafeMutablePointer(to: &mine) { $0.pointee }
  if still != 0x600D { NPL.write("fault: my stack was changed\n"); NPL.halt(2) }
  NPL.write("fault: still running\n")
  NPL.halt(0)
}
