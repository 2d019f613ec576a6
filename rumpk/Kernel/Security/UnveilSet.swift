// unveil: the names (VFS paths, ring channel names) a fiber may open, OpenBSD-style. A fiber that
// never called unveil sees every name; after the first call only unveiled names and the names below
// them ("/data" covers "/data/log"); a call with a null name locks the set for good. Children start
// with a copy of their parent's set.

public struct UnveilPermissions: OptionSet, Sendable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }
  public static let read = UnveilPermissions(rawValue: 1)
  public static let write = UnveilPermissions(rawValue: 2)
  public static let create = UnveilPermissions(rawValue: 4)
  public static let all: UnveilPermissions = [.read, .write, .create]
}

public enum UnveilResult: Sendable { case ok, locked, full, badName }

/// What opening a name may do: go ahead, act as if the name did not exist, or be refused.
public enum UnveilAccess: Sendable { case allowed, hidden, denied }

public struct UnveilSet: Sendable {
  public static let capacity = 8
  public static let nameCapacity = 62

  struct Entry: Sendable {
    var length: UInt8 = 0
    var permissions: UInt8 = 0
    var name = InlineArray<62, UInt8>(repeating: 0)
  }

  var entries = InlineArray<8, Entry>(repeating: Entry())
  var count: UInt8 = 0
  public private(set) var active = false
  public private(set) var locked = false

  public init() {}

  /// Adds or narrows `name`. Re-unveiling a name replaces its permissions (OpenBSD does the same).
  public mutating func add(_ name: UnsafeRawBufferPointer, _ permissions: UnveilPermissions) -> UnveilResult {
    if locked { return .locked }
    guard name.count >= 1, name.count <= UnveilSet.nameCapacity, !name.contains(0) else { return .badName }
    for i in 0..<Int(count) where matchesExactly(i, name) {
      entries[i].permissions = permissions.rawValue
      active = true
      return .ok
    }
    guard Int(count) < UnveilSet.capacity else { return .full }
    var e = Entry()
    e.length = UInt8(name.count)
    e.permissions = permissions.rawValue
    for j in 0..<name.count { e.name[j] = name[j] }
    entries[Int(count)] = e
    count += 1
    active = true
    return .ok
  }

  /// Forbids further changes.
  public mutating func lock() {
    locked = true
    active = true
  }

  /// True when opening `name` with `permissions` is allowed: no unveil yet, or an entry equal to
  /// `name` or a prefix of it ending at a '/' boundary grants every requested permission.
  public func permits(_ name: UnsafeRawBufferPointer, _ permissions: UnveilPermissions) -> Bool {
    access(name, permissions) == .allowed
  }

  /// Like `permits`, but tells a name no entry covers (hidden) from one covered without the
  /// requested permissions (denied).
  public func access(_ name: UnsafeRawBufferPointer, _ permissions: UnveilPermissions) -> UnveilAccess {
    if !active { return .allowed }
    var best = -1
    var bestLength = -1
    for i in 0..<Int(count) {
      let n = Int(entries[i].length)
      guard n <= name.count, n > bestLength else { continue }
      var same = true
      for j in 0..<n where entries[i].name[j] != name[j] { same = false; break }
      guard same else { continue }
      if n == name.count || entries[i].name[n - 1] == UInt8(ascii: "/") || name[n] == UInt8(ascii: "/") {
        best = i
        bestLength = n
      }
    }
    guard best >= 0 else { return .hidden }
    return UnveilPermissions(rawValue: entries[best].permissions).isSuperset(of: permissions) ? .allowed : .denied
  }

  func matchesExactly(_ i: Int, _ name: UnsafeRawBufferPointer) -> Bool {
    guard Int(entries[i].length) == name.count else { return false }
    for j in 0..<name.count where entries[i].name[j] != name[j] { return false }
    return true
  }
}
