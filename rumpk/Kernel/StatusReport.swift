// What the kernel tells whoever started the cell, on the status port (docs/decisions/A5-status-channel.md):
// its boot, and how it ended — halted by an NPL with a code, or stopped by the kernel itself. The
// port is a device no NPL can reach; the console, which NPLs write through the kernel, never
// carries status. Without a port (under Rumkv, hosted mode) the records go nowhere: Rumkv learns
// the end through PSCI / SBI and writes its own records.

import StatusRecord

public enum StatusReport {
  /// Where a finished line goes; set by the status-port driver once it found its device.
  nonisolated(unsafe) public static var sink: (@convention(c) (UnsafeRawPointer, Int) -> Void)? = nil
  /// Set by the first end record: a cell ends once, and only its first end is reported.
  nonisolated(unsafe) public private(set) static var ended = false

  /// The kernel's own reasons to stop a cell, with the codes the platform powers off with.
  public enum Stop: UInt64 {
    case outOfMemory = 70
    case kernelException = 71
    case stackOverflow = 72

    var reason: StaticString {
      switch self {
      case .outOfMemory: return "out of memory"
      case .kernelException: return "kernel exception"
      case .stackOverflow: return "stack overflow"
      }
    }
  }

  /// `{"src":"kernel","event":"boot","abi":1}`: the port works and the kernel is up.
  public static func boot(abi: UInt64) { record("boot", "abi", abi) }

  /// `{"src":"kernel","event":"halted","code":N}`: an NPL called halt(N), or every NPL fiber ended
  /// (N = 0). Only the first end record of a cell is sent.
  public static func halted(code: UInt64) {
    guard !ended else { return }
    ended = true
    record("halted", "code", code)
  }

  /// `{"src":"kernel","event":"stopped","reason":"…","code":N}`: the kernel ended the cell.
  public static func stopped(_ stop: Stop) {
    guard !ended else { return }
    ended = true
    record("stopped", "code", stop.rawValue, reason: stop.reason)
  }

  /// One line to the sink, if there is one. One copy of the line-building code.
  @inline(never)
  static func record(_ event: StaticString, _ key: StaticString, _ value: UInt64, reason: StaticString? = nil) {
    guard let sink else { return }
    var line = StatusLine(source: "kernel")
    line.string("event", event)
    if let reason { line.string("reason", reason) }
    line.number(key, value)
    line.finish()
    line.withBytes { sink($0.baseAddress!, $0.count) }
  }
}
