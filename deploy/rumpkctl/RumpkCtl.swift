// rumpkctl: builds, runs and (with libvirt) deploys Rumpk cells. Each subcommand lives in its own file.

import ArgumentParser

@main
struct RumpkCtl: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rumpkctl",
    abstract: "Run and manage Rumpk cells.",
    subcommands: [Run.self, Hosted.self, Guests.self, Start.self, Stop.self, Status.self, List.self, Logs.self, Doctor.self])
}

/// Arch (from RumpkManifest, which every file here sees through ManifestModule.swift) as a
/// command-line value.
extension Arch: ExpressibleByArgument {}

/// A failure the user can fix: one line saying what is wrong and what to do.
struct UserError: Error, CustomStringConvertible {
  let message: String
  init(_ message: String) { self.message = message }
  var description: String { message }
}
