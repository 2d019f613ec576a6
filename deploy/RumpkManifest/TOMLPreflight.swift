// A look at a manifest's text before TOMLKit parses it. toml++ 3.4.0 (inside TOMLKit 0.6.0) asserts,
// and so aborts the whole process, on some malformed TOML instead of reporting it (68 such
// assertions in its parser; the fuzz target reached three kinds in minutes): a table header
// whose key starts with neither a bare-key character nor a quote ("[[[x]]", "[!]", "[" then a
// newline), and a date-time whose time does not start with a digit ("1980-05-27T\u{13}07:32:00Z").
// Both were found by the manifest fuzz target (docs/decisions/T1-fuzzing.md); both are refused here
// with a line of their own. So are arrays, where toml++ asserted too ("[[[#" as a value): no
// manifest key takes one. A manifest needs no date or time either, so every value that starts like
// one (four digits and '-', or two digits and ':') is refused. Strings and comments are skipped.
// Every '[' that does not open a value (after '=', '[' or ',') is taken for a header, wherever it
// stands: toml++ skips what a line-start test would not (a byte-order mark let "[  #" through).

enum TOMLPreflight {
  /// Assumes nothing about `text`. Returns the 1-based line of the first construct toml++ could
  /// abort on and what is wrong with it; nil when there is none (TOMLKit then judges the text).
  static func firstProblem(in text: String) -> (line: Int, problem: String)? {
    var scan = Scanner(Array(text.utf8))
    return scan.run()
  }

  static let headerProblem = "a table header must start with a bare key (A-Z, a-z, 0-9, '-', '_') or a quoted key"
  static let dateProblem = "dates and times are not manifest values"
  static let arrayProblem = "arrays are not manifest values (no key takes a list)"

  /// One pass over the bytes, outside strings and comments.
  struct Scanner {
    let b: [UInt8]
    var i = 0
    var line = 1
    /// The last byte outside strings, comments and blanks on this line; nil at a line's start.
    var last: UInt8? = nil

    init(_ bytes: [UInt8]) { b = bytes }

    func at(_ k: Int) -> UInt8? { k < b.count ? b[k] : nil }

    mutating func run() -> (line: Int, problem: String)? {
      while let c = at(i) {
        switch c {
        case newline:
          line += 1
          last = nil
          i += 1
        case space, tab, cr:
          i += 1
        case hash:
          while let d = at(i), d != newline { i += 1 }
        case quote, apostrophe:
          skipString(c)
          last = c
        case open:
          if last.map(valueFollows) ?? false { return (line, TOMLPreflight.arrayProblem) }
          guard let key = headerKeyStart() else { return (line, TOMLPreflight.headerProblem) }
          i = key
          last = nil  // a key follows, not a value
        case 0x30...0x39 where last.map(valueFollows) ?? false:
          if startsLikeDateOrTime() { return (line, TOMLPreflight.dateProblem) }
          while let d = at(i), !endsToken(d) { i += 1 }
          last = 0x30
        default:
          last = c
          i += 1
        }
      }
      return nil
    }

    /// At a '[' that opens a header: toml++ takes '[', blanks, a second '[' only if no blank came
    /// before it, blanks, then the key, whose first byte must be a bare-key character or a quote.
    /// Returns where the key (or whatever toml++ reports itself) starts; nil when toml++ would abort.
    func headerKeyStart() -> Int? {
      var k = i + 1
      var blanks = false
      while at(k) == space || at(k) == tab { blanks = true; k += 1 }
      if at(k) == open && !blanks {
        k += 1
        while at(k) == space || at(k) == tab { k += 1 }
      }
      guard let first = at(k) else { return k }  // end of text: toml++ reports it
      return first == close || first == open && blanks || startsKey(first) ? k : nil
    }

    /// True when the token at `i` begins as toml++'s dates ("DDDD-") or times ("DD:") do.
    func startsLikeDateOrTime() -> Bool {
      var k = i
      while let d = at(k), isDigit(d) { k += 1 }
      return (k - i == 4 && at(k) == dash) || (k - i == 2 && at(k) == colon)
    }

    /// Moves `i` past the string that starts at `i` (basic or literal, one or three delimiters).
    mutating func skipString(_ delimiter: UInt8) {
      let triple = at(i + 1) == delimiter && at(i + 2) == delimiter
      i += triple ? 3 : 1
      while let d = at(i) {
        if d == newline && !triple { return }  // unterminated: toml++ reports it; the caller counts the line
        if d == newline { line += 1 }
        if d == backslash && delimiter == quote {
          if at(i + 1) == newline { line += 1 }
          i += 2
          continue
        }
        if d == delimiter && (!triple || at(i + 1) == delimiter && at(i + 2) == delimiter) {
          i += triple ? 3 : 1
          return
        }
        i += 1
      }
    }
  }

  static let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
  static let open = UInt8(ascii: "["), close = UInt8(ascii: "]"), hash = UInt8(ascii: "#")
  static let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), backslash = UInt8(ascii: "\\")
  static let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")

  static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

  /// True for the bytes after which a value starts: '=', an array's '[' or ',', an inline table's ','.
  static func valueFollows(_ b: UInt8) -> Bool {
    b == UInt8(ascii: "=") || b == open || b == UInt8(ascii: ",")
  }

  /// True for the bytes that end a bare value.
  static func endsToken(_ b: UInt8) -> Bool {
    b == space || b == tab || b == newline || b == cr || b == UInt8(ascii: ",") || b == close
      || b == UInt8(ascii: "}") || b == hash
  }

  /// True for the bytes toml++ lets a key start with: a bare-key character or a string delimiter.
  static func startsKey(_ b: UInt8) -> Bool {
    (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || isDigit(b)
      || b == dash || b == UInt8(ascii: "_") || b == quote || b == apostrophe
  }
}
