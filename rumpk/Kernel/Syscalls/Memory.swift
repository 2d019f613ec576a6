// map and unmap: pages from Wild into the caller's partition, or a named channel region.

import RumpkABI

public enum MapFlags {
  public static let write: UInt64 = 1 << 0
  /// The address argument points at a channel name, the length argument is the name's length.
  public static let named: UInt64 = 1 << 8
  static let known: UInt64 = write | named
}

/// map(hint, len, flags): fresh zeroed pages (len rounded up to 4 KiB) owned by the caller; the hint
/// is advisory and ignored today. With MapFlags.named: open a named channel region, which needs the
/// ring promise and an unveiled name. Errors: EINVAL bad length/flags, ENOMEM Wild exhausted, ENOSPC
/// partition table full, EFAULT bad name buffer, ENOENT unknown or unveiled-away name, EPERM no ring
/// promise or an unveiled name without the requested permission.
func sysMap(_ args: SyscallArgs) -> Int64 {
  let me = Scheduler.current
  guard me >= 0 else { return Errno.eperm.rawValue }
  guard args.a2 & ~MapFlags.known == 0 else { return Errno.einval.rawValue }
  if args.a2 & MapFlags.named != 0 { return mapNamed(Int(me), args) }
  guard args.a1 > 0, let length = pageRound(args.a1), length / pageSize <= UInt64(Int32.max) else {
    return Errno.einval.rawValue
  }
  guard let base = WildAllocator.allocate(pages: Int(length / pageSize)) else { return Errno.enomem.rawValue }
  let region = Region(base: base, size: length)
  guard Fibers.table[Int(me)].partition.add(OwnedRegion(region: region, kind: .mapped, writable: true)) else {
    WildAllocator.free(base, pages: Int(length / pageSize))
    return Errno.enospc.rawValue
  }
  UnsafeMutableRawPointer(bitPattern: UInt(base))!.initializeMemory(as: UInt8.self, repeating: 0, count: Int(length))
  return Int64(bitPattern: UserWindows.userAddress(base))
}

func mapNamed(_ me: Int, _ args: SyscallArgs) -> Int64 {
  guard Fibers.table[me].promises.contains(.ring) else { return Errno.eperm.rawValue }
  guard args.a1 >= 1, args.a1 <= UInt64(Channels.nameCapacity) else { return Errno.einval.rawValue }
  guard let name = UserMemory.readable(args.a0, args.a1) else { return Errno.efault.rawValue }
  let perms: UnveilPermissions = args.a2 & MapFlags.write != 0 ? [.read, .write] : .read
  switch Fibers.table[me].unveil.access(name, perms) {
  case .allowed: break
  case .hidden: return Errno.enoent.rawValue
  case .denied: return Errno.eperm.rawValue
  }
  guard let region = Channels.lookup(name) else { return Errno.enoent.rawValue }
  if Fibers.table[me].partition.find(region, kind: .named) == nil {
    let entry = OwnedRegion(region: region, kind: .named, writable: args.a2 & MapFlags.write != 0)
    guard Fibers.table[me].partition.add(entry) else { return Errno.enospc.rawValue }
  }
  return Int64(bitPattern: UserWindows.userAddress(region.base))
}

/// unmap(addr, len): returns a whole region the caller mapped (len rounded up to 4 KiB); grants made
/// from it are revoked first. A named channel is dropped from the partition only. Errors: EINVAL
/// for anything that is not exactly one of the caller's mapped or named regions (its stack included).
func sysUnmap(_ args: SyscallArgs) -> Int64 {
  let me = Scheduler.current
  guard me >= 0 else { return Errno.eperm.rawValue }
  guard let length = pageRound(args.a1), length > 0,
        let base = UserWindows.kernelAddress(args.a0, length) else { return Errno.einval.rawValue }
  let region = Region(base: base, size: length)
  if let i = Fibers.table[Int(me)].partition.find(region, kind: .mapped) {
    Grants.revokeAll(fiber: Int(me), within: region, received: false)
    Fibers.table[Int(me)].partition.remove(at: i)
    WildAllocator.free(region.base, pages: Int(length / pageSize))
    return 0
  }
  if let i = Fibers.table[Int(me)].partition.find(region, kind: .named) {
    Fibers.table[Int(me)].partition.remove(at: i)
    return 0
  }
  return Errno.einval.rawValue
}
