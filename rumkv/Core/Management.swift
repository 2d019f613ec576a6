// Rumkv's management records (docs/decisions/A5-status-channel.md): what rumpkctl learns about the
// node and its cells, on a virtio-console that Rumkv keeps for itself and maps into no cell. A cell
// can print anything on its console; it cannot write here. Records about a cell carry its name;
// records about the node do not, so a cell's halt code and Rumkv's own reasons never share a field.

import StatusRecord

public enum Management {
  /// Where a finished line goes; nil until the architecture code started the port.
  nonisolated(unsafe) public static var sink: (@convention(c) (UnsafeRawPointer, Int) -> Void)? = nil

  /// `{"src":"rumkv","event":"boot"}`: Rumkv runs and its port works.
  public static func boot() { record(nil, "boot") }

  /// `{"src":"rumkv","event":"refused","detail":…}`: the node was refused at boot; the detail is
  /// the console line that said why.
  public static func refused() { record(nil, "refused", detail: true) }

  /// `{"src":"rumkv","event":"fault","detail":…}`: Rumkv itself took an exception.
  public static func rumkvFault() { record(nil, "fault", detail: true) }

  /// `{"src":"rumkv","event":"off","code":N}`: the node powers off with Rumkv's own code (ExitCode).
  public static func off(code: UInt64) { record(nil, "off", code: code) }

  /// A record about `cell`: `event` is "entered", "halted" and "reset" (with `code`), "fault" (with
  /// the console line that explains it as detail), or "status" (with `state`).
  public static func cell(_ cell: Cell, _ event: StaticString, code: UInt64? = nil, state: StaticString? = nil,
                          detail: Bool = false) {
    record(cell.name, event, code: code, state: state, detail: detail)
  }

  /// One line: the cell's name when it is about a cell, the event, then whichever of code, state
  /// and detail (the last console line Rumkv began) are given. One copy of the line-building code.
  @inline(never)
  static func record(_ cell: UnsafeRawBufferPointer?, _ event: StaticString, code: UInt64? = nil,
                     state: StaticString? = nil, detail: Bool = false) {
    guard let sink else { return }
    var line = StatusLine(source: "rumkv")
    if let cell { line.string("cell", bytes: cell) }
    line.string("event", event)
    if let code { line.number("code", code) }
    if let state { line.string("state", state) }
    if detail { Console.withLastLine { line.string("detail", bytes: $0) } }
    line.finish()
    line.withBytes { sink($0.baseAddress!, $0.count) }
  }
}
