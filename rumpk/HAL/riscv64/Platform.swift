// The platform interface (rumpk_platform.h) on riscv64 in S-mode.

import RumpkArch
import RumpkKernel

@_cdecl("rumpk_platform_console_write")
public func platformConsoleWrite(_ bytes: UnsafePointer<UInt8>?, _ count: Int) {
  let uart = Board.uart
  let lsr = uart.lineStatus
  Serial.write(bytes, count) { uart.put($0, lineStatus: lsr) }
}

@_cdecl("rumpk_platform_console_read")
public func platformConsoleRead(_ bytes: UnsafeMutablePointer<UInt8>?, _ capacity: Int) -> Int {
  Serial.read(bytes, capacity) { Board.uart.get() }
}

@_cdecl("rumpk_platform_time_ns")
public func platformTimeNs() -> UInt64 {
  let scale = Clock.nsPerTick
  if scale != 0 { return read_time() &* scale }  // one multiply (the `time` syscall's hot path)
  return Ticks.nanoseconds(read_time(), frequency: Board.timebase)
}

enum Clock {
  /// 1e9 / timebase when the timebase divides 1e9 (QEMU virt: 10 MHz, 100 ns a tick), else 0 and
  /// platformTimeNs divides. Set once the timebase is known (Interrupts.initialize); the result is
  /// the same either way.
  nonisolated(unsafe) static var nsPerTick: UInt64 = 0

  static func setTimebase(_ hz: UInt64) {
    nsPerTick = hz != 0 && 1_000_000_000 % hz == 0 ? 1_000_000_000 / hz : 0
  }
}

/// Tickless: the timer is armed for `deadline` only (Interrupts.idle). Without an SBI or Sstc
/// timer the cell polls the clock instead.
@_cdecl("rumpk_platform_wait")
public func platformWait(_ deadline: UInt64) {
  if Interrupts.enabled { return Interrupts.idle(until: deadline) }
  while deadline != 0 && platformTimeNs() < deadline {}
}

/// Seed material: the time counter's low bits. The device tree's rng-seed is mixed in at boot.
@_cdecl("rumpk_platform_entropy")
public func platformEntropy(_ bytes: UnsafeMutablePointer<UInt8>?, _ count: Int) {
  guard let bytes else { return }
  for i in 0..<count { bytes[i] = UInt8(truncatingIfNeeded: read_time() >> (i % 4)) }
}

@_cdecl("rumpk_platform_halt")
public func platformHalt(_ code: UInt64) -> Never {
  Power.off(code: code)
}

@_cdecl("rumpk_platform_ticks")
public func platformTicks() -> UInt64 { read_time() }

@_cdecl("rumpk_platform_ticks_per_second")
public func platformTicksPerSecond() -> UInt64 { Board.timebase }

@_cdecl("rumpk_platform_irq_attach")
public func platformIRQAttach(_ cells: UnsafePointer<UInt8>?, _ count: Int, _ source: UInt32) -> UInt32 {
  Interrupts.attach(cells, count, source: source)
}

@_cdecl("rumpk_platform_irq_unmask")
public func platformIRQUnmask(_ handle: UInt32) {
  if Interrupts.external { PLIC.unmask(handle) }
}

/// Devices are mapped identity in the kernel view, below the image's GiB (MMU.swift); 0 for an
/// address outside that.
@_cdecl("rumpk_platform_mmio")
public func platformMMIO(_ pa: UInt64) -> UInt {
  pa != 0 && pa < UInt64(rumpk_image_start()) & ~(MMU.gib - 1) ? UInt(pa) : 0
}
