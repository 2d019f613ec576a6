// rumpkctl hosted: run a guest's NPL code on the portable kernel as a Linux process (the rump-kernel
// way): console on stdin/stdout, exit status = halt code.

import ArgumentParser
import Foundation

struct Hosted: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a guest on the hosted kernel as a Linux process; exits with its halt code.")

  @Argument(help: "The guest to run (a folder of guests/).")
  var guest: String

  func run() throws {
    do {
      let project = try Project.locate()
      let known = project.guests()
      guard known.contains(guest) else {
        throw UserError("unknown guest '\(guest)'; known guests: \(known.joined(separator: ", "))")
      }
      let binary = project.buildDir.appendingPathComponent("hosted/\(guest)")
      guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw UserError("hosted cell \(binary.path) is not built yet; build it with: make images (or rumpk/build-hosted \(guest))")
      }
      // exec: the hosted cell takes over this process, its stdin/stdout and its exit status.
      let argv: [UnsafeMutablePointer<CChar>?] = [strdup(binary.path), nil]
      execv(binary.path, argv)
      throw UserError("cannot execute \(binary.path): \(String(cString: strerror(errno)))")
    } catch let error as UserError {
      FileHandle.standardError.write(Data("rumpkctl: \(error.message)\n".utf8))
      throw ExitCode(2)
    }
  }
}
