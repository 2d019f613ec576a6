// A cell's node console, as the file libvirt's serial device wrote. It is for people (`rumpkctl
// logs`): the cell writes to it, so nothing rumpkctl reports about a cell is read from it
// (docs/decisions/A5-status-channel.md; CellReport reads the management records).

import Foundation

enum ConsoleLog {
  static func read(_ url: URL) -> String {
    guard let data = FileManager.default.contents(atPath: url.path) else { return "" }
    return String(decoding: data, as: UTF8.self)
  }

  static func lines(_ text: String) -> [String] {
    // isNewline, not == "\n": the serial console ends lines with "\r\n", a single Character.
    text.split(whereSeparator: \.isNewline).map(String.init)
  }
}
