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

  /// Cell `i` of an interrupt specifier as the device tree stores it (big-endian 32-bit cells).
  @inline(__always)
  public static func cell(_ cells: UnsafePointer<UInt8>, _ i: Int) -> UInt32 {
    UInt32(cells[i * 4]) << 24 | UInt32(cells[i * 4 + 1]) << 16 | UInt32(cells[i * 4 + 2]) << 8 | UInt32(cells[i * 4 + 3])
  }

  /// The debug lines a HAL prints at halt: how many timer interrupts the run took (tickless: one per
  /// distinct deadline the idle loop slept towards) and how late the worst was, then the device
  /// interrupts. Each line is left out when its count is 0, so a cell that never slept ends with its
  /// own last line.
  public static func report(timerInterrupts: UInt64, worstEntryTicks: UInt64) {
    if timerInterrupts != 0 {
      Console.put("rumpk: ")
      Console.dec(timerInterrupts)
      Console.put(" timer interrupts, taken at most ")
      Console.dec(worstEntryTicks)
      Console.put(" ticks after their deadline\n")
    }
    if taken != 0 {
      Console.put("rumpk: ")
      Console.dec(taken)
      Console.put(" device interrupts\n")
    }
  }

  /// Forgets every attachment (a new kernel instance; tests).
  static func reset() {
    table = InlineArray(repeating: Attachment())
    count = 0
    taken = 0
  }
}
