// A small Swift wrapper over libvirt's C API: the event loop the embedded driver needs, one
// connection, and the domain operations rumpkctl uses. libvirt's own error printing is silenced;
// every failure becomes a LibvirtError carrying libvirt's last error message.

import CLibvirt
import Foundation

struct LibvirtError: Error, CustomStringConvertible {
  var operation: String
  var message: String
  /// libvirt's error code (virErrorNumber), 0 when unknown.
  var code: Int32

  var description: String { "\(operation): \(message)" }

  /// The error libvirt recorded for this thread's last failed call. `operation` is evaluated after
  /// the error is read: any libvirt call (even virDomainGetName) resets the thread's last error.
  static func last(_ operation: @autoclosure () -> String) -> LibvirtError {
    guard let error = virGetLastError() else {
      return LibvirtError(operation: operation(), message: "failed (libvirt gave no reason)", code: 0)
    }
    let message = error.pointee.message.map { String(cString: $0) } ?? "failed"
    let code = error.pointee.code
    return LibvirtError(operation: operation(), message: message, code: code)
  }
}

/// Receives libvirt's errors instead of its default printer (which writes them to stderr). A global
/// function, as C callbacks must be: it captures nothing and may run on any thread.
private func discardLibvirtError(_ userData: UnsafeMutableRawPointer?, _ error: virErrorPtr?) {}

enum Libvirt {
  /// Initialises libvirt once: silent errors, the default event loop and a thread that runs it.
  /// The embedded QEMU driver needs the loop registered before the connection is opened.
  static let prepared: Void = {
    // libvirt's own log (warnings such as "tainted: custom-argv") goes to stderr unless told
    // otherwise; Deployment points LIBVIRT_LOG_OUTPUTS at a file in the state dir first.
    virSetErrorFunc(nil, discardLibvirtError)
    _ = virInitialize()
    _ = virEventRegisterDefaultImpl()
    let loop = Thread {
      while virEventRunDefaultImpl() >= 0 {}
    }
    loop.name = "libvirt-events"
    loop.start()
  }()
}

/// A libvirt domain's state, as `virsh domstate` names it.
struct DomainState: Equatable, Sendable, CustomStringConvertible {
  var state: Int32
  var reason: Int32

  var isActive: Bool {
    state != Int32(VIR_DOMAIN_SHUTOFF.rawValue) && state != Int32(VIR_DOMAIN_NOSTATE.rawValue)
  }
  var isRunning: Bool { state == Int32(VIR_DOMAIN_RUNNING.rawValue) }

  var name: String {
    switch UInt32(state) {
    case VIR_DOMAIN_RUNNING.rawValue: return "running"
    case VIR_DOMAIN_BLOCKED.rawValue: return "idle"
    case VIR_DOMAIN_PAUSED.rawValue: return "paused"
    case VIR_DOMAIN_SHUTDOWN.rawValue: return "in shutdown"
    case VIR_DOMAIN_SHUTOFF.rawValue: return "shut off"
    case VIR_DOMAIN_CRASHED.rawValue: return "crashed"
    case VIR_DOMAIN_PMSUSPENDED.rawValue: return "pmsuspended"
    default: return "no state"
    }
  }

  /// Why it is shut off (the reasons `virsh domstate --reason` prints); nil for other states.
  var shutoffReason: String? {
    guard state == Int32(VIR_DOMAIN_SHUTOFF.rawValue) else { return nil }
    switch UInt32(reason) {
    case VIR_DOMAIN_SHUTOFF_SHUTDOWN.rawValue: return "shutdown"
    case VIR_DOMAIN_SHUTOFF_DESTROYED.rawValue: return "destroyed"
    case VIR_DOMAIN_SHUTOFF_CRASHED.rawValue: return "crashed"
    case VIR_DOMAIN_SHUTOFF_FAILED.rawValue: return "failed"
    case VIR_DOMAIN_SHUTOFF_DAEMON.rawValue: return "daemon"
    default: return "unknown"
    }
  }

  var description: String { shutoffReason.map { "\(name) (\($0))" } ?? name }
}

/// One open connection. Not shared between threads; closed when released.
final class LibvirtConnection {
  let pointer: OpaquePointer
  let uri: String

  /// Opens `uri`. For the embedded driver only one process may hold a root at a time: a busy root
  /// is retried until `busyTimeout` seconds have passed.
  init(uri: String, busyTimeout: TimeInterval = 10) throws {
    _ = Libvirt.prepared
    self.uri = uri
    let deadline = Date().addingTimeInterval(busyTimeout)
    while true {
      if let conn = virConnectOpen(uri) {
        pointer = conn
        return
      }
      let error = LibvirtError.last("cannot connect to \(uri)")
      let busy = error.message.contains("pid file") || error.message.contains("already running")
        || error.message.contains("Resource temporarily unavailable")
      if !busy || Date() >= deadline { throw error }
      usleep(100_000)
    }
  }

  deinit { virConnectClose(pointer) }

  /// The domain called `name`, or nil when none is defined.
  func domain(named name: String) -> LibvirtDomain? {
    guard let dom = virDomainLookupByName(pointer, name) else { return nil }
    return LibvirtDomain(dom)
  }

  /// Defines (persistently) the domain described by `xml`; replaces an inactive one of the same name.
  func define(xml: String) throws -> LibvirtDomain {
    guard let dom = virDomainDefineXML(pointer, xml) else { throw LibvirtError.last("cannot define the domain") }
    return LibvirtDomain(dom)
  }

  /// Every domain the connection knows, active or defined.
  func allDomains() throws -> [LibvirtDomain] {
    var list: UnsafeMutablePointer<virDomainPtr?>? = nil
    let n = virConnectListAllDomains(pointer, &list, 0)
    guard n >= 0, let list else { throw LibvirtError.last("cannot list domains") }
    defer { free(list) }
    return (0..<Int(n)).compactMap { list[$0].map(LibvirtDomain.init) }
  }
}

/// One domain reference (released when the object goes).
final class LibvirtDomain {
  let pointer: OpaquePointer

  init(_ pointer: OpaquePointer) { self.pointer = pointer }
  deinit { virDomainFree(pointer) }

  var name: String { virDomainGetName(pointer).map { String(cString: $0) } ?? "?" }

  func state() throws -> DomainState {
    var state: Int32 = 0, reason: Int32 = 0
    guard virDomainGetState(pointer, &state, &reason, 0) == 0 else {
      throw LibvirtError.last("cannot read the state of domain \(name)")
    }
    return DomainState(state: state, reason: reason)
  }

  /// After a process opens a root, libvirt reconnects to running QEMUs asynchronously; until the
  /// monitor is back, commands fail. Waits until the domain is controllable (or inactive).
  func waitUntilControllable(timeout: TimeInterval = 10) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if let s = try? state(), !s.isActive { return }
      var info = virDomainControlInfo()
      if virDomainGetControlInfo(pointer, &info, 0) == 0, info.state == UInt32(VIR_DOMAIN_CONTROL_OK.rawValue) {
        return
      }
      if Date() >= deadline {
        throw LibvirtError(operation: "domain \(name)", message: "libvirt did not regain control of it within \(Int(timeout)) s", code: 0)
      }
      usleep(20_000)
    }
  }

  func start() throws {
    guard virDomainCreate(pointer) == 0 else { throw LibvirtError.last("cannot start domain \(name)") }
  }

  /// Stops the domain at once (QEMU is killed); the cell gets no chance to shut down.
  func destroy() throws {
    guard virDomainDestroy(pointer) == 0 else { throw LibvirtError.last("cannot destroy domain \(name)") }
  }

  func undefine() throws {
    guard virDomainUndefineFlags(pointer, 0) == 0 else { throw LibvirtError.last("cannot undefine domain \(name)") }
  }
}
