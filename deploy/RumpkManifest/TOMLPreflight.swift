// A look at a manifest's text before TOMLKit parses it. toml++ 3.4.0 (inside TOMLKit 0.6.0) asserts,
// and so aborts the whole process, on some malformed TOML instead of reporting it (68 such
// assertions in its parser). The manifest fuzz target reached five kinds in minutes
// (docs/decisions/T1-fuzzing.md); each is refused here with a line of its own:
// - a table header whose key starts with neither a bare-key character nor a quote ("[[[x]]",
//   "[!]", "[" then a newline). Every '[' that does not open a value is taken for a header,
//   wherever it stands: toml++ skips what a line-start test would not (a byte-order mark);
// - a date-time whose time does not start with a digit ("1980-05-27T\u{13}07:32:00Z"): a manifest
//   needs no date or time, so a value that starts like one ("DDDD-", "DD:") is refused;
// - arrays ("[[[#" as a value): no manifest key takes one;
// - bare values that are not plain numbers or booleans ("1;79-05-").
// Strings and comments are skipped; what passes is left to TOMLKit and its messages.

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
  static let scalarProblem = "a value must be a quoted string, a number, true, false or a table"

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
        case _ where c != UInt8(ascii: "{") && last == UInt8(ascii: "="):
          if isDigit(c) && startsLikeDateOrTime() { return (line, TOMLPreflight.dateProblem) }
          let start = i
          while let d = at(i), !endsToken(d) { i += 1 }
          if !isPlainScalar(b[start..<i]) { return (line, TOMLPreflight.scalarProblem) }
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

  /// True when `token` (a value without quotes) is a boolean, inf/nan or a number made only of
  /// what TOML numbers are made of: sign, digits, '_', one '.', an exponent, or a 0x / 0o / 0b
  /// prefix with its digits. toml++ asserted on other bare values ("1;79-05-…").
  static func isPlainScalar(_ token: ArraySlice<UInt8>) -> Bool {
    let words: [String] = ["true", "false", "inf", "+inf", "-inf", "nan", "+nan", "-nan"]
    if words.contains(where: { token.elementsEqual($0.utf8) }) { return true }
    var t = token[...]
    if t.first == UInt8(ascii: "+") || t.first == UInt8(ascii: "-") { t = t.dropFirst() }
    guard let first = t.first, isDigit(first) else { return false }
    if first == 0x30, t.count > 2, let base = t.dropFirst().first,
       base == UInt8(ascii: "x") || base == UInt8(ascii: "o") || base == UInt8(ascii: "b") {
      return t.dropFirst(2).allSatisfy { isDigit($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) || $0 == UInt8(ascii: "_") }
    }
    var dots = 0, exponents = 0, previous: UInt8 = 0
    for d in t {
      switch d {
      case 0x30...0x39, UInt8(ascii: "_"): break
      case UInt8(ascii: "."): dots += 1
      case UInt8(ascii: "e"), UInt8(ascii: "E"): exponents += 1
      case UInt8(ascii: "+"), UInt8(ascii: "-"):
        guard previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return false }
      default: return false
      }
      previous = d
    }
    return dots <= 1 && exponents <= 1
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
