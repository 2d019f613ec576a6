// How a direct boot ended, from the status port alone (docs/decisions/A5-status-channel.md), and the
// exit status `rumpkctl run` gives it. rumpkctl's own outcomes (123-125) sit above every code a
// cell's halt can produce here (0-120), so no halt code imitates them. QEMU's exit status is the
// image's to choose (the sifive test device, PSCI) and decides nothing.

import StatusLog

struct DirectOutcome: Equatable {
  enum End: Equatable {
    case halted(code: UInt64)
    case stopped(reason: String, code: UInt64?)
    /// QEMU ended, by itself, with `qemuStatus`, and the port holds no end record.
    case noRecord
  }

  var end: End
  var qemuStatus: Int32
  var problems: [String]

  /// Reads the first end record the kernel wrote (a cell ends once; later lines change nothing).
  init(log: StatusLog, qemuStatus: Int32) {
    self.qemuStatus = qemuStatus
    problems = log.problems
    if let r = log.first(.kernel, ["halted", "stopped"]) {
      if r.event == "halted", let code = r.code {
        end = .halted(code: code)
      } else {
        end = .stopped(reason: r.string("reason") ?? "no reason given", code: r.code)
      }
    } else {
      end = .noRecord
    }
  }

  static let haltedHigh: Int32 = 120
  static let kernelStopped: Int32 = 123
  static let noRecord: Int32 = 125

  /// 0-119: the halt code; 120: a halt code ≥ 120; 123: the kernel stopped the cell; 125: no record.
  var exitStatus: Int32 {
    switch end {
    case .halted(let code): return code < UInt64(DirectOutcome.haltedHigh) ? Int32(code) : DirectOutcome.haltedHigh
    case .stopped: return DirectOutcome.kernelStopped
    case .noRecord: return DirectOutcome.noRecord
    }
  }

  /// What to tell the user on stderr, or nil when a plain exit status says it all (a halt below 120).
  var message: String? {
    var lines: [String] = []
    switch end {
    case .halted(let code) where code >= UInt64(DirectOutcome.haltedHigh):
      lines.append("the cell halted with code \(code) (exit status \(DirectOutcome.haltedHigh) stands for codes of 120 and more)")
    case .halted:
      break
    case .stopped(let reason, let code):
      lines.append("the cell's kernel stopped it: \(reason)" + (code.map { " (code \($0))" } ?? ""))
    case .noRecord:
      lines.append("the cell ended without a halt record on its status port (its kernel died or refused the machine; see the console above; QEMU exit status \(qemuStatus))")
    }
    for p in problems.prefix(5) { lines.append("status port: \(p)") }
    return lines.isEmpty ? nil : lines.joined(separator: "\nrumpkctl: ")
  }
}
