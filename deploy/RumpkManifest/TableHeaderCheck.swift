// A check of the table headers of a manifest's text before TOMLKit parses it. toml++ (inside TOMLKit
// 0.6.0) asserts, and so aborts the whole process, on a header whose key does not start with a
// bare-key character or a quote ("[[[x]]", "[!]", "[" then a newline): found by the manifest fuzz
// target (docs/decisions/T1-fuzzing.md). Such a header is refused here with a line of its own.
// The check looks at every line that starts with '[' (after spaces and tabs), so it also refuses
// such a line inside a multi-line array or string, which no manifest key accepts anyway.

enum TableHeaderCheck {
  /// Assumes nothing about `text`. Returns the 1-based line of the first header toml++ cannot
  /// parse without asserting and what is wrong with it; nil when there is none.
  static func firstProblem(in text: String) -> (line: Int, problem: String)? {
    var line = 1
    var atLineStart = true
    var bytes = text.utf8.makeIterator()
    var pending: UInt8? = nil
    func next() -> UInt8? {
      if let p = pending { pending = nil; return p }
      return bytes.next()
    }
    while let b = next() {
      if b == newline {
        line += 1
        atLineStart = true
        continue
      }
      if atLineStart && (b == space || b == tab) { continue }
      defer { atLineStart = false }
      guard atLineStart, b == open else { continue }
      // toml++: '[', blanks, a second '[' only if no blank came before it, blanks, then the key.
      var c = next()
      var blanks = false
      while c == space || c == tab { blanks = true; c = next() }
      if c == open && !blanks {
        c = next()
        while c == space || c == tab { c = next() }
      }
      guard let first = c else { return nil }  // end of text: toml++ reports it
      if first == close || first == open && blanks || startsKey(first) {
        pending = first
        continue
      }
      return (line, "a table header must start with a bare key (A-Z, a-z, 0-9, '-', '_') or a quoted key")
    }
    return nil
  }

  static let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
  static let open = UInt8(ascii: "["), close = UInt8(ascii: "]")

  /// True for the bytes toml++ lets a key start with: a bare-key character or a string delimiter.
  static func startsKey(_ b: UInt8) -> Bool {
    (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
      || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")
  }
}
