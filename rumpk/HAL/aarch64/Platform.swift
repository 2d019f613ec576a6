// The platform interface (rumpk_platform.h) on aarch64 bare metal.

import RumpkArch
import RumpkKernel

@_cdecl("rumpk_platform_console_write")
public func platformConsoleWrite(_ bytes: UnsafePointer<UInt8>?, _ count: Int) {
  Serial.write(bytes, count) { Board.uart.put($0) }
}

@_cdecl("rumpk_platform_console_read")
public func platformConsoleRead(_ bytes: UnsafeMutablePointer<UInt8>?, _ capacity: Int) -> Int {
  Serial.read(bytes, capacity) { Board.uart.get() }
}

@_cdecl("rumpk_platform_time_ns")
public func platformTimeNs() -> UInt64 {
  Ticks.nanoseconds(read_cntvct_el0(), frequency: read_cntfrq_el0())
}

/// Tickless: the virtual timer is armed for `deadline` only (Interrupts.idle). Without an interrupt
/// controller of its own (a Rumkv cell today) the cell polls the counter instead.
@_cdecl("rumpk_platform_wait")
public func platformWait(_ deadline: UInt64) {
  if Interrupts.enabled { return Interrupts.idle(until: deadline) }
  while deadline != 0 && platformTimeNs() < deadline {}
}

/// Seed material: the counter's low bits. The device tree's rng-seed is mixed in at boot.
@_cdecl("rumpk_platform_entropy")
public func platformEntropy(_ bytes: UnsafeMutablePointer<UInt8>?, _ count: Int) {
  guard let bytes else { return }
  for i in 0..<count { bytes[i] = UInt8(truncatingIfNeeded: read_cntvct_el0() >> (i % 4)) }
}

@_cdecl("rumpk_platform_halt")
public func platformHalt(_ code: UInt64) -> Never {
  Power.off(code: code)
}

@_cdecl("rumpk_platform_ticks")
public func platformTicks() -> UInt64 { read_cntvct_el0() }

@_cdecl("rumpk_platform_ticks_per_second")
public func platformTicksPerSecond() -> UInt64 { max(read_cntfrq_el0(), 1) }

@_cdecl("rumpk_platform_irq_attach")
public func platformIRQAttach(_ cells: UnsafePointer<UInt8>?, _ count: Int, _ source: UInt32) -> UInt32 {
  Interrupts.attach(cells, count, source: source)
}

@_cdecl("rumpk_platform_irq_unmask")
public func platformIRQUnmask(_ handle: UInt32) {
  if Interrupts.enabled && handle >= 32 { GIC.unmaskShared(handle) }
}

/// Devices live at MMU.deviceAlias + PA (the NPL windows occupy their physical range; K9), which
/// covers physical GiB 0; 0 for an address outside it.
@_cdecl("rumpk_platform_mmio")
public func platformMMIO(_ pa: UInt64) -> UInt { pa != 0 && pa < MMU.gib ? MMU.device(UInt(pa)) : 0 }
