// The /chosen node: console, kernel command line and initrd, as firmware or the hypervisor left them.

extension FDT {
  /// node(path: "/chosen"), found once by the validating pass (FDT.scan).
  public var chosen: FDTNode? {
    guard chosenOffset >= 0 else { return nil }
    let n = FDTNode(offset: chosenOffset)
    return bodyOffset(n) != nil ? n : nil
  }

  /// The node named by /chosen "stdout-path" (or the older "linux,stdout-path"): an absolute path or
  /// an alias, with any ":options" suffix (such as ":115200n8") ignored.
  public var stdoutPath: FDTNode? {
    guard let c = chosen else { return nil }
    return stdoutPath(chosen: c)
  }

  /// stdoutPath for a given /chosen node.
  public func stdoutPath(chosen c: FDTNode) -> FDTNode? {
    guard let path = stdoutPathValue(chosen: c) else { return nil }
    return node(path: path)
  }

  /// The path (or alias) that stdout-path names, without ":options": what stdoutPath resolves.
  public func stdoutPathValue(chosen c: FDTNode) -> UnsafeRawBufferPointer? {
    guard let value = string(c, "stdout-path") ?? string(c, "linux,stdout-path") else { return nil }
    return slice(value, 0..<indexOf(UInt8(ascii: ":"), in: value))
  }

  /// The ":options" part of stdout-path, without the colon; nil when there is none.
  public var stdoutOptions: UnsafeRawBufferPointer? {
    guard let c = chosen, let value = string(c, "stdout-path") ?? string(c, "linux,stdout-path") else {
      return nil
    }
    let colon = indexOf(UInt8(ascii: ":"), in: value)
    guard colon < value.count else { return nil }
    return slice(value, (colon + 1)..<value.count)
  }

  /// /chosen "bootargs", without NUL.
  public var bootargs: UnsafeRawBufferPointer? {
    guard let c = chosen else { return nil }
    return string(c, "bootargs")
  }

  /// True when `word` is one whole space- or tab-separated word of bootargs.
  public func bootargsContains(_ word: StaticString) -> Bool {
    guard let c = chosen else { return false }
    return bootargsContains(word, chosen: c)
  }

  /// bootargsContains for an already found /chosen node.
  public func bootargsContains(_ word: StaticString, chosen c: FDTNode) -> Bool {
    guard let args = string(c, "bootargs") else { return false }
    return FDT.words(args, contain: word)
  }

  /// True when `word` is one whole space- or tab-separated word of `args` (a bootargs value), so a
  /// caller that looks for several words reads the property once.
  public static func words(_ args: UnsafeRawBufferPointer, contain word: StaticString) -> Bool {
    withBytes(word) { wanted in
      var start = 0
      while start < args.count {
        var end = start
        while end < args.count && args[end] != 0x20 && args[end] != 0x09 { end += 1 }
        if bytesEqual(slice(args, start..<end), wanted) { return true }
        start = end + 1
      }
      return false
    }
  }

  /// /chosen linux,initrd-start and linux,initrd-end (each 4 or 8 bytes); nil unless both are
  /// present and start ≤ end.
  public var initrd: (start: UInt64, end: UInt64)? {
    guard let c = chosen, let start = u64(c, "linux,initrd-start"), let end = u64(c, "linux,initrd-end"),
      start <= end
    else { return nil }
    return (start, end)
  }
}
