// Named shared regions (ION ring channels, later VFS-backed buffers) that the kernel registers and
// fibers open by name through map(MAP_NAMED). Opening is where unveil and the ring promise apply.

public enum Channels {
  public static let capacity = 16
  public static let nameCapacity = 62

  struct Entry {
    var region = Region.empty
    var length: UInt8 = 0
    var name = InlineArray<62, UInt8>(repeating: 0)
    var tailPadding: UInt8 = 0  // size == stride: see Fiber.tailPadding
  }

  nonisolated(unsafe) static var table: UnsafeMutablePointer<Entry> = UnsafeMutablePointer(bitPattern: 0x10)!
  nonisolated(unsafe) static var count = 0

  static func initialize() -> Bool {
    // Entries [0, count) are the registered ones; register initialises entry `count` as it adds it.
    guard let t = Bridgehead.reserve(Entry.self, count: capacity) else { return false }
    table = t
    count = 0
    return true
  }

  /// Publishes `region` under `name` (1…62 bytes). False when full or the name is bad or taken.
  public static func register(_ name: StaticString, _ region: Region) -> Bool {
    let bytes = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
    guard count < capacity, bytes.count >= 1, bytes.count <= nameCapacity, lookup(bytes) == nil else { return false }
    var e = Entry()
    e.region = region
    e.length = UInt8(bytes.count)
    for i in 0..<bytes.count { e.name[i] = bytes[i] }
    (table + count).initialize(to: e)
    count += 1
    return true
  }

  static func lookup(_ name: UnsafeRawBufferPointer) -> Region? {
    for i in 0..<count where Int(table[i].length) == name.count {
      var same = true
      for j in 0..<name.count where table[i].name[j] != name[j] { same = false; break }
      if same { return table[i].region }
    }
    return nil
  }
}
