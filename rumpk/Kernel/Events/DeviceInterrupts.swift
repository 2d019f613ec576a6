// Device interrupts, shared by the HALs: which controller interrupt a driver attached and the
// event source it wants woken by it (docs/decisions/K8-device-interrupts.md). Phase one (the HAL's
// handler) looks the interrupt up, masks it at the controller, pushes an event and ends it; phase
// two is the driver's fiber, which handles the device and unmasks. Interrupts nobody attached are
// ended and ignored.

public enum DeviceInterrupts {
  public static let capacity = 16

  struct Attachment {
    var irq: UInt32 = 0      // the controller's number (GIC INTID, PLIC source); 0 = free slot
    var source: UInt32 = 0   // event source to push
  }

  nonisolated(unsafe) static var table = InlineArray<16, Attachment>(repeating: Attachment())
  nonisolated(unsafe) public private(set) static var count = 0
  /// Interrupts taken for attached devices since boot.
  nonisolated(unsafe) public private(set) static var taken: UInt64 = 0

  /// Records that interrupt `irq` wakes event source `source`. Assumes the HAL has checked `irq`
  /// against its controller. False when the table is full, the source is out of range, or `irq`
  /// is attached already to another source (attaching it again to the same source is fine).
  public static func attach(irq: UInt32, source: UInt32) -> Bool {
    guard irq != 0, source != 0, source < UInt32(Events.sourceCount) else { return false }
    for i in 0..<count where table[i].irq == irq { return table[i].source == source }
    guard count < capacity else { return false }
    table[count] = Attachment(irq: irq, source: source)
    count += 1
    return true
  }

  /// Phase one: the event source attached to `irq`, nil when no driver attached it. Counts it.
  @inline(__always)
  public static func source(of irq: UInt32) -> UInt32? {
    for i in 0..<count where table[i].irq == irq {
      taken &+= 1
      return table[i].source
    }
    return nil
  }

  /// Forgets every attachment (a new kernel instance; tests).
  static func reset() {
    table = InlineArray(repeating: Attachment())
    count = 0
    taken = 0
  }
}
