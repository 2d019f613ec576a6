// Explicit, revocable grants of a region from one fiber to another. The grantor keeps ownership; the
// grantee gets a `.granted` entry in its partition until the grant is revoked, the grantor unmaps the
// region or either fiber ends. The grantor holds a `Grant`, which can be revoked exactly once.

import RumpkABI

/// The grantor's handle on a live grant. Not copyable: one owner, one revocation.
public struct Grant: ~Copyable {
  public let id: UInt32
  public let region: Region
}

struct GrantRecord {
  var live = false
  var generation: UInt16 = 0
  var from: Int32 = -1
  var to: Int32 = -1
  var region = Region.empty
}

public enum Grants {
  static let capacity = 256
  nonisolated(unsafe) static var table: UnsafeMutablePointer<GrantRecord>? = nil

  static func initialize() -> Bool {
    // Zeroed records are not live (live = false); nothing else of a record is read until it is.
    table = Bridgehead.allocate(GrantRecord.self, count: capacity)
    return table != nil
  }

  /// Grants `region` of fiber `from` (which must own it as stack or mapped memory) to fiber `to`.
  /// Errors: EINVAL for a region `from` does not own or a bad fiber, ENOSPC when the grant table or
  /// the grantee's partition is full.
  public static func grant(from: FiberID, to: FiberID, region: Region, writable: Bool) throws(Errno) -> Grant {
    guard let f = Fibers.index(of: from), let t = Fibers.index(of: to), f != t, let table else { throw .einval }
    let owner = Fibers.table[f].partition
    var owned = false
    for i in 0..<Partition.capacity {
      let s = owner.slots[i]
      if (s.kind == .mapped || s.kind == .stack) && s.region.contains(region.base, region.size) && (s.writable || !writable) {
        owned = true
      }
    }
    guard owned, region.size > 0 else { throw .einval }
    guard let slot = (0..<capacity).first(where: { !table[$0].live }) else { throw .enospc }
    let generation = table[slot].generation &+ 1
    let id = UInt32(generation) << 16 | UInt32(slot)
    guard Fibers.table[t].partition.add(OwnedRegion(region: region, kind: .granted, writable: writable, grant: id)) else {
      throw .enospc
    }
    table[slot] = GrantRecord(live: true, generation: generation, from: Int32(f), to: Int32(t), region: region)
    return Grant(id: id, region: region)
  }

  /// Ends a grant. Already-ended grants (the kernel revoked them when a fiber ended or the region
  /// was unmapped) are a no-op.
  public static func revoke(_ grant: consuming Grant) {
    revoke(id: grant.id)
  }

  /// True while the grant is in force.
  public static func isLive(_ grant: borrowing Grant) -> Bool {
    guard let table else { return false }
    let slot = Int(grant.id & 0xFFFF)
    return slot < capacity && table[slot].live && UInt32(table[slot].generation) == grant.id >> 16
  }

  static func revoke(id: UInt32) {
    guard let table else { return }
    let slot = Int(id & 0xFFFF)
    guard slot < capacity, table[slot].live, UInt32(table[slot].generation) == id >> 16 else { return }
    let to = Int(table[slot].to)
    if let i = Fibers.table[to].partition.findGrant(id) { Fibers.table[to].partition.remove(at: i) }
    table[slot].live = false
  }

  /// Revokes every grant `fiber` gave out of `region` (all its grants when region is nil), and
  /// every grant it received when `received` is true.
  static func revokeAll(fiber: Int, within region: Region?, received: Bool) {
    guard let table else { return }
    for slot in 0..<capacity where table[slot].live {
      let r = table[slot]
      let given = Int(r.from) == fiber && (region.map { $0.overlaps(r.region.base, r.region.size) } ?? true)
      if given || (received && Int(r.to) == fiber) {
        revoke(id: UInt32(r.generation) << 16 | UInt32(slot))
      }
    }
  }
}
