// The status port's records (docs/decisions/A5-status-channel.md): what the kernel and Rumkv encode
// (rumpk/Status, the same code that runs on metal) decodes to the same fields; hostile lines are
// refused with a reason; rumpkctl's reading of a whole log (CellReport, DirectOutcome) keeps a
// cell's halt code apart from rumpkctl's and Rumkv's own outcomes.

import StatusLog
import StatusRecord
import XCTest
@testable import rumpkctl

final class StatusRecordTests: XCTestCase {
  func encoded(_ build: (inout StatusLine) -> Void) -> [UInt8] {
    var line = StatusLine(source: "rumkv")
    build(&line)
    line.finish()
    return line.withBytes { Array($0) }
  }

  func decode(_ text: String) throws(StatusDecodeError) -> StatusRecord {
    try StatusRecordDecoder.decode(ArraySlice(Array(text.utf8)))
  }

  func testEncodedLinesDecodeToTheSameFields() throws {
    let bytes = encoded { line in
      line.string("cell", bytes: UnsafeRawBufferPointer(start: "a\"b\\c\u{1}", count: 6))
      line.string("event", "halted")
      line.number("code", UInt64.max)
    }
    XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                   #"{"src":"rumkv","cell":"a\"b\\c?","event":"halted","code":18446744073709551615}"# + "\n")
    let record = try StatusRecordDecoder.decode(bytes.dropLast())
    XCTAssertEqual(record.source, .rumkv)
    XCTAssertEqual(record.event, "halted")
    XCTAssertEqual(record.cell, "a\"b\\c?")
    XCTAssertEqual(record.code, UInt64.max)
  }

  func testALongValueIsCutButTheLineStaysARecord() throws {
    let long = [UInt8](repeating: UInt8(ascii: "\""), count: 400)
    let bytes = encoded { line in
      line.string("event", "fault")
      long.withUnsafeBytes { line.string("detail", bytes: $0) }
      line.number("code", 3)  // no room left: left out, not half-written
    }
    XCTAssertLessThanOrEqual(bytes.count, StatusLine.capacity)
    XCTAssertEqual(bytes.last, 10)
    let record = try StatusRecordDecoder.decode(bytes.dropLast())
    XCTAssertEqual(record.event, "fault")
    XCTAssertGreaterThan(record.string("detail")?.count ?? 0, 100)
    XCTAssertTrue(record.string("detail")!.allSatisfy { $0 == "\"" })
    XCTAssertNil(record.code)
  }

  func testHostileLinesAreRefusedWithAReason() {
    let cases: [(String, String)] = [
      (#"{"src":"kernel","event":"halted","code":0} "#, "bytes after"),
      (#"{ "src":"kernel","event":"halted"}"#, "expected"),
      (#"{"src":"kernel","event":"halted","code":007}"#, "leading zero"),
      (#"{"src":"kernel","event":"halted","code":18446744073709551616}"#, "over 64 bits"),
      (#"{"src":"kernel","event":"halted","code":-1}"#, "expected a string or a number"),
      (#"{"src":"kernel","event":"halted","event":"boot"}"#, "twice"),
      (#"{"src":"kernel","event":"x\nhalted"}"#, "unknown escape"),
      (#"{"src":"kernel","event":"h\#u{e9}"}"#, "in a string"),
      (#"{"src":"kernel","event":{"a":1}}"#, "expected a string or a number"),
      (#"{"src":"guest","event":"halted"}"#, "unknown source"),
      (#"{"event":"halted","code":0}"#, "no \"src\""),
      (#"{"src":"kernel","code":0}"#, "no \"event\""),
      (#"{"src":"kernel","event":"halted""#, "object not closed"),
      (#"{}"#, "empty object"),
      (#"[1]"#, "expected '{'"),
      ("{\"src\":\"kernel\",\"event\":\"" + String(repeating: "a", count: 300) + "\"}", "longer than"),
    ]
    for (line, reason) in cases {
      do {
        let r = try decode(line)
        XCTFail("accepted \(line): \(r)")
      } catch {
        XCTAssertTrue(error.message.contains(reason), "\(line): \(error.message)")
      }
    }
  }

  func testALogReportsCutAndBadLinesByNumber() {
    let text = #"{"src":"kernel","event":"boot","abi":1}"# + "\nnot json\n" + #"{"src":"kernel","event":"halted","code":7}"# + "\n{\"src\""
    let log = StatusLog(bytes: Array(text.utf8))
    XCTAssertEqual(log.records.map(\.event), ["boot", "halted"])
    XCTAssertEqual(log.problems.count, 2)
    XCTAssertTrue(log.problems[0].hasPrefix("line 2: "), log.problems[0])
    XCTAssertEqual(log.problems[1], "line 4: cut off (no end of line)")
    XCTAssertEqual(log.first(.kernel, ["halted"])?.code, 7)
  }

  func log(_ lines: String...) -> StatusLog {
    StatusLog(bytes: Array(lines.map { $0 + "\n" }.joined().utf8))
  }

  func testCellReportFollowsRumkvsRecordsForThatCellOnly() {
    let halted = CellReport.from(log(#"{"src":"rumkv","event":"boot"}"#,
                                     #"{"src":"rumkv","cell":"hello","event":"entered"}"#,
                                     #"{"src":"rumkv","cell":"other","event":"halted","code":9}"#,
                                     #"{"src":"kernel","event":"halted","code":5}"#,
                                     #"{"src":"rumkv","cell":"hello","event":"halted","code":7}"#,
                                     #"{"src":"rumkv","cell":"hello","event":"status","state":"ready"}"#,
                                     #"{"src":"rumkv","event":"off","code":0}"#), cell: "hello")
    XCTAssertEqual(halted, CellReport(state: "halted", haltCode: 7, detail: nil, rumkvSeen: true))
    let refused = CellReport.from(log(#"{"src":"rumkv","event":"refused","detail":"/rumkv: node missing"}"#), cell: "hello")
    XCTAssertEqual(refused.state, "refused")
    XCTAssertEqual(refused.detail, "/rumkv: node missing")
    let fault = CellReport.from(log(#"{"src":"rumkv","cell":"hello","event":"fault","detail":"stage-2 fault"}"#,
                                    #"{"src":"rumkv","event":"off","code":3}"#), cell: "hello")
    XCTAssertEqual(fault.state, "faulted")
    XCTAssertNil(fault.haltCode)
    XCTAssertEqual(CellReport.from(StatusLog(), cell: "hello").state, "no output")
  }

  func testDirectOutcomeKeepsHaltCodesBelowRumpkctlsOwnStatuses() {
    func status(_ lines: String...) -> Int32 {
      DirectOutcome(log: StatusLog(bytes: Array(lines.map { $0 + "\n" }.joined().utf8)), qemuStatus: 0).exitStatus
    }
    XCTAssertEqual(status(#"{"src":"kernel","event":"halted","code":0}"#), 0)
    XCTAssertEqual(status(#"{"src":"kernel","event":"halted","code":119}"#), 119)
    XCTAssertEqual(status(#"{"src":"kernel","event":"halted","code":124}"#), 120)
    XCTAssertEqual(status(#"{"src":"kernel","event":"halted","code":125}"#), 120)
    XCTAssertEqual(status(#"{"src":"kernel","event":"stopped","reason":"stack overflow","code":72}"#), 123)
    XCTAssertEqual(status(#"{"src":"kernel","event":"halted","code":3}"#, #"{"src":"kernel","event":"halted","code":0}"#), 3)
    XCTAssertEqual(status(#"{"src":"rumkv","cell":"x","event":"halted","code":0}"#), 125)
    XCTAssertEqual(status(), 125)
    let stopped = DirectOutcome(log: StatusLog(bytes: Array((#"{"src":"kernel","event":"stopped","reason":"stack overflow","code":72}"# + "\n").utf8)), qemuStatus: 0)
    XCTAssertEqual(stopped.message, "the cell's kernel stopped it: stack overflow (code 72)")
  }
}
