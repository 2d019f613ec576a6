// Hostile images for tests: a few lines of assembly, assembled and linked by the toolchain's clang
// and ld.lld into an ELF a cell boots (directly, or as a cell under Rumkv). Such an image is the
// whole guest, kernel included, so it can do what no NPL can: touch devices, use semihosting.

import Foundation

public enum AssembledImage {
  public enum AssemblyError: Error, CustomStringConvertible {
    case tool(String, String)
    public var description: String {
      switch self { case .tool(let name, let output): return "\(name) failed: \(output)" }
    }
  }

  /// An ELF for `arch` ("aarch64" or "riscv64") with `body` after `_start:`, linked at `address`.
  public static func build(_ arch: String, at address: String, _ body: String) throws -> Data {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("assembled-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = dir.appendingPathComponent("image.S"), object = dir.appendingPathComponent("image.o")
    let elf = dir.appendingPathComponent("image.elf"), script = dir.appendingPathComponent("image.ld")
    try ".text\n.global _start\n_start:\n\(body)\n".write(to: source, atomically: true, encoding: .utf8)
    try "ENTRY(_start)\nSECTIONS { . = \(address); .text : { *(.text) } }\n".write(to: script, atomically: true, encoding: .utf8)
    let bin = try CellProcess.run("/usr/bin/env", ["sh", "-c", "dirname \"$(command -v swiftc)\""])
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let target = arch == "aarch64" ? "--target=aarch64-none-elf" : "--target=riscv64-none-elf"
    var r = try CellProcess.run("\(bin)/clang", [target, "-c", source.path, "-o", object.path])
    guard r.status == 0 else { throw AssemblyError.tool("clang", r.stderr) }
    r = try CellProcess.run("\(bin)/ld.lld", ["-T", script.path, "-static", "-nostdlib", "-z", "max-page-size=4096",
                                             "-o", elf.path, object.path])
    guard r.status == 0 else { throw AssemblyError.tool("ld.lld", r.stderr) }
    return try Data(contentsOf: elf)
  }

  /// aarch64 lines that print `text` (no quotes or backslashes but `\n`) on QEMU virt's PL011 at
  /// 0x09000000, byte by byte, using x9-x11. Defines the local labels 8 and 9 and the label `forged`.
  public static func aarch64Print(_ text: String) -> String {
    """
      movz x9, #0x0900, lsl #16
      adr  x10, forged
    8: ldrb w11, [x10], #1
      cbz  w11, 9f
      strb w11, [x9]
      b    8b
      .section .rodata
    forged: .asciz "\(text)"
      .text
    9:

    """
  }

  /// aarch64 semihosting SYS_SYSTEM (0x12) of `command`, then whatever follows. Defines the labels
  /// `block` and `command` in .rodata.
  public static func aarch64Semihost(_ command: String) -> String {
    """
      adr  x1, block
      mov  x0, #0x12
      hlt  #0xf000
      .section .rodata
      .balign 8
    block: .quad command
      .quad \(command.utf8.count)
    command: .ascii "\(command)"
      .text

    """
  }
}
