// Rumkv's management records (docs/decisions/A5-status-channel.md): what rumpkctl learns about the
// node and its cells, on a virtio-console that Rumkv keeps for itself and maps into no cell. A cell
// can print anything on its console; it cannot write here. Records about a cell carry its name;
// records about the node do not, so a cell's halt code and Rumkv's own reasons never share a field.

import StatusRecord

public enum Management {
  /// Where a finished line goes; nil until the architecture code started the port.
  nonisolated(unsafe) public static var sink: (@convention(c) (UnsafeRawPointer, Int) -> Void)? = nil

  /// `{"src":"rumkv","event":"boot"}`: Rumkv runs and its port works.
  public static func boot() {
    var line = StatusLine(source: "rumkv")
    line.string("event", "boot")
    send(&line)
  }

  /// `{"src":"rumkv","event":"refused","detail":…}`: the node was refused at boot; the detail is
  /// the console line that said why.
  public static func refused() {
    var line = StatusLine(source: "rumkv")
    line.string("event", "refused")
    Console.withLastLine { line.string("detail", bytes: $0) }
    send(&line)
  }

  /// `{"src":"rumkv","event":"fault","detail":…}`: Rumkv itself took an exception.
  public static func rumkvFault() {
    var line = StatusLine(source: "rumkv")
    line.string("event", "fault")
    Console.withLastLine { line.string("detail", bytes: $0) }
    send(&line)
  }

  /// `{"src":"rumkv","event":"off","code":N}`: the node powers off with Rumkv's own code (ExitCode).
  public static func off(code: UInt64) {
    var line = StatusLine(source: "rumkv")
    line.string("event", "off")
    line.number("code", code)
    send(&line)
  }

  /// A record about `cell`: `event` is "entered", "halted" and "reset" (with `code`), "fault" (with
  /// the console line that explains it as detail), or "status" (with `state`).
  public static func cell(_ cell: Cell, _ event: StaticString, code: UInt64? = nil, state: StaticString? = nil,
                          detail: Bool = false) {
    var line = StatusLine(source: "rumkv")
    line.string("cell", bytes: cell.name)
    line.string("event", event)
    if let code { line.number("code", code) }
    if let state { line.string("state", state) }
    if detail { Console.withLastLine { line.string("detail", bytes: $0) } }
    send(&line)
  }

  static func send(_ line: inout StatusLine) {
    line.finish()
    guard let sink else { return }
    line.withBytes { sink($0.baseAddress!, $0.count) }
  }
}
