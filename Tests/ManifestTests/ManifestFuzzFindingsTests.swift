// What the manifest fuzz target found (docs/decisions/T1-fuzzing.md), replayed through the parser
// rumpkctl uses: each manifest must be refused with one line naming the file, never abort.

@testable import RumpkManifest
import XCTest

final class ManifestFuzzFindingsTests: XCTestCase {
  let context = ManifestContext(knownGuests: ["hello", "exitcode"])

  /// Parses `text`; returns the refusal's line, failing the test when the manifest is accepted.
  func refusal(_ text: String, line: UInt = #line) -> String {
    do {
      _ = try CellDeployment.parse(text, file: "m.toml", context: context)
      XCTFail("accepted: \(text.debugDescription)", line: line)
      return ""
    } catch {
      return error.description
    }
  }

  /// toml++ asserted (SIGABRT) on a table header whose key starts with neither a bare-key
  /// character nor a quote; the fuzzer's reproducers, minimised.
  func testTableHeadersTOMLKitAbortsOnAreRefused() {
    for text in ["[[[", "[[[testme]]\n", "[[\n]", "[\u{8E}w[c[", "[cell]\nname = \"x\"\n  [!]\n", "[.a]\n", "[=]\n",
                 "\u{FEFF}[  # after a byte-order mark\n"] {
      let message = refusal(text)
      XCTAssertTrue(message.hasPrefix("m.toml: not valid TOML at line "), message)
      XCTAssertTrue(message.hasSuffix("a table header must start with a bare key (A-Z, a-z, 0-9, '-', '_') or a quoted key"), message)
    }
    XCTAssertEqual(refusal("[cell]\nname = \"x\"\n  [!]\n"),
                   "m.toml: not valid TOML at line 3: a table header must start with a bare key (A-Z, a-z, 0-9, '-', '_') or a quoted key")
  }

  /// Headers toml++ handles itself still reach it: its own message, or the manifest's checks.
  func testValidAndOrdinaryBadHeadersStillReachTOML() {
    XCTAssertEqual(refusal("[ \"cell\" ]\nname = \"hello\"\n"), "m.toml: key 'guest': missing (required)")
    XCTAssertTrue(refusal("[]\n").hasPrefix("m.toml: not valid TOML at line 1: "))
    XCTAssertTrue(refusal("[ [x]]\n").hasPrefix("m.toml: not valid TOML at line 1: "))
    XCTAssertTrue(refusal("[").hasPrefix("m.toml: not valid TOML at line 1: "))
  }

  /// toml++ asserted in parse_time on a date-time whose time does not start with a digit; a manifest
  /// needs no date or time, so none reaches it.
  func testDatesAndTimesAreRefusedBeforeTOMLKit() {
    let dateProblem = "dates and times are not manifest values"
    XCTAssertEqual(refusal("[cell]\nrestart = 1980-05-27T\u{13}07:32:00Z\n"), "m.toml: not valid TOML at line 2: \(dateProblem)")
    XCTAssertEqual(refusal("a = \"\"\"\n1980-05-27\n\"\"\"\nb = 1979-05-27\n"), "m.toml: not valid TOML at line 4: \(dateProblem)")
    // In strings and comments, and as ordinary numbers, digits are left to TOMLKit.
    XCTAssertEqual(refusal("[cell] # 1980-05-27\nname = \"07:32\"\nguest = '1980-05-27'\n"),
                   "m.toml: key 'name': expected 1 to 31 characters of a-z, 0-9, '-' or '_', got \"07:32\"")
    XCTAssertTrue(refusal("[cell]\nname = \"hello\"\nguest = \"hello\"\narch = \"aarch64\"\nmemory = 1_024\ncpus = 6.4e-1\n")
                    .hasPrefix("m.toml: key 'cpus': expected an integer number of CPUs, got "))
  }

  /// toml++ asserted in parse_value inside nested arrays ("[[[#" as a value); no key takes an array.
  func testArraysAreRefusedBeforeTOMLKit() {
    let arrayProblem = "m.toml: not valid TOML at line 2: arrays are not manifest values (no key takes a list)"
    XCTAssertEqual(refusal("[[cglls]]\nname = [[[#  Th own.\n}}}\n"), arrayProblem)
    XCTAssertEqual(refusal("[cell]\ncpus = [0, 1]\n"), arrayProblem)
    XCTAssertEqual(refusal("[cell]\nrestart = { a = 1, b = [] }\n"), arrayProblem)
  }

  /// toml++ asserted in parse_value on a bare value made of other bytes than a number's.
  func testBareValuesMustBeNumbersOrBooleans() {
    let scalarProblem = "m.toml: not valid TOML at line 2: a value must be a quoted string, a number, true, false or a table"
    XCTAssertEqual(refusal("[cel]\n nt= 1;79-05-\u{D7}= 1]\n"), scalarProblem)
    XCTAssertEqual(refusal("[cell]\nname = hello\n"), scalarProblem)
    for value in ["64", "+64", "1_024", "0x40", "6.4e-1", "true", "-inf"] {
      XCTAssertTrue(refusal("[cell]\nname = \"hello\"\nguest = \"hello\"\narch = \"aarch64\"\nmemory = \(value)\nbad = 1\n")
                      .hasPrefix("m.toml: key '"), value)
    }
  }

  /// A name holding a newline split the refusal over two lines (and could carry terminal escapes).
  func testControlCharactersInValuesAreEscaped() {
    let text = "[cell]\nname = \"h\\u00e9llo\\nx\\u001b[2J\"\n"
    XCTAssertEqual(refusal(text), "m.toml: key 'name': expected 1 to 31 characters of a-z, 0-9, '-' or '_', got \"héllo\\nx\\u001B[2J\"")
  }

  /// TOMLKit's own message quotes the offending text as it is: "expected 'nan', saw 'n<newline>'"
  /// (the input, "guest =n", is now refused before TOMLKit; its messages still pass through this).
  func testTOMLKitMessagesStayOnOneLine() {
    XCTAssertEqual(escaped("expected 'nan', saw 'n\n'", quotes: false), "expected 'nan', saw 'n\\n'")
    XCTAssertEqual(escaped("a\"b\\\u{1B}\u{2028}", quotes: false), "a\"b\\\\u001B\\u2028")
    let message = refusal("[cell]\nguest = \"x\n")
    XCTAssertTrue(message.hasPrefix("m.toml: not valid TOML at line 2: "), message)
    XCTAssertFalse(message.contains(where: \.isNewline), message)
  }

  func testOrdinaryValuesAreQuotedAsBefore() {
    XCTAssertEqual(quoted("x86_64"), "\"x86_64\"")
    XCTAssertEqual(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"")
  }
}
