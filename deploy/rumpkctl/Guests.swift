// rumpkctl guests: list the guests and which images are built.

import ArgumentParser
import Foundation

struct Guests: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the guests and their built images.")

  func run() throws {
    let project = try Project.locate()
    for guest in project.guests() {
      let built = Arch.allCases.filter { FileManager.default.fileExists(atPath: project.image(guest: guest, arch: $0).path) }
      print("\(guest)\t\(built.isEmpty ? "not built" : built.map(\.rawValue).joined(separator: ", "))")
    }
  }
}
