// The trap frame vectors.S builds on SP_EL2: x0-x30, then ELR_EL2 and SPSR_EL2 (34 slots of 8 bytes).
// Writing a register slot changes what the cell sees after ERET.

struct TrapFrame {
  let slots: UnsafeMutablePointer<UInt64>

  static let elrSlot = 31
  static let spsrSlot = 32

  subscript(register n: Int) -> UInt64 {
    get { slots[n] }
    nonmutating set { slots[n] = newValue }
  }

  var pc: UInt64 {
    get { slots[TrapFrame.elrSlot] }
    nonmutating set { slots[TrapFrame.elrSlot] = newValue }
  }
}
