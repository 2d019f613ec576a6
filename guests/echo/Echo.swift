// echo: answers Ethernet frames on virtio-net, through the ABI and the "/dev/net0" device channel
// (RumpkNPL) only. Every frame received is sent back to its sender with the MAC addresses swapped
// (destination = the sender, source = our MAC); IPv4/UDP frames also get IP addresses and UDP ports
// swapped (checksums stay valid: both sums are symmetric in the swapped fields). A frame whose
// payload after the 14-byte Ethernet header starts with "bye" is answered, then the cell halts with 0.
// Data area: 8 receive buffers of 2 KiB at 0-16 KiB, 8 transmit buffers of 2 KiB at 16-32 KiB.

import RumpkABI
import RumpkION
import RumpkNPL

let bufferBytes: UInt32 = 2048
let receiveBuffers: UInt32 = 8
let transmitBase: UInt32 = 16 * 1024

func swap(_ f: UnsafeMutableRawBufferPointer, _ a: Int, _ b: Int, _ n: Int) {
  for i in 0..<n {
    let t = f[a + i]
    f[a + i] = f[b + i]
    f[b + i] = t
  }
}

@_cdecl("npl_main")
public func nplMain(_ arg: UInt64) {
  guard var dev = DeviceChannel("/dev/net0") else {
    Out.put("echo: no network device (/dev/net0); run with --net-socket LOCAL:REMOTE\n")
    NPL.halt(1)
    return
  }
  let mac = dev.info
  Out.put("echo: listening, MAC ")
  for i in 0..<6 {
    let b = UInt8(truncatingIfNeeded: mac >> UInt64(8 * i))
    if b < 16 { Out.put("0") }
    Out.hex(UInt64(b))
    if i < 5 { Out.put(":") }
  }
  Out.put("\n")
  for i in 0..<receiveBuffers {
    guard dev.submit(DeviceOp.receive, offset: i * bufferBytes, length: bufferBytes) != nil else {
      Out.put("echo: cannot post receive buffers\n")
      NPL.halt(1)
      return
    }
  }
  var transmitFree: UInt32 = 0xFF  // bit i: transmit buffer i is free
  var answered: UInt64 = 0
  var quitting = false
  var idle = IdleBackoff()
  while true {
    guard let c = dev.poll() else {
      if dev.deviceFailed {
        Out.put("echo: the network device was disabled\n")
        NPL.halt(1)
      }
      idle.pause()
      continue
    }
    idle = IdleBackoff()
    if c.op == DeviceOp.transmit {
      transmitFree |= 1 << ((c.offset - transmitBase) / bufferBytes & 7)
      if quitting && transmitFree == 0xFF {
        Out.put("echo: answered ")
        Out.dec(answered)
        Out.put(" frames; bye\n")
        NPL.halt(0)
      }
      continue
    }
    guard c.op == DeviceOp.receive, c.status == 0 else {
      Out.put("echo: request failed\n")
      NPL.halt(1)
      return
    }
    let length = Int(c.length)
    if length >= 14 && length <= Int(bufferBytes) && transmitFree != 0 && !quitting {
      let slot = UInt32(transmitFree.trailingZeroBitCount)
      transmitFree &= ~(1 << slot)
      let out = transmitBase + slot * bufferBytes
      let frame = UnsafeMutableRawBufferPointer(rebasing: dev.data[Int(out)..<(Int(out) + length)])
      frame.copyMemory(from: UnsafeRawBufferPointer(rebasing: dev.data[Int(c.offset)..<(Int(c.offset) + length)]))
      for i in 0..<6 {
        frame[i] = frame[6 + i]
        frame[6 + i] = UInt8(truncatingIfNeeded: mac >> UInt64(8 * i))
      }
      // IPv4 (0x0800) carrying UDP (17): swap addresses and ports.
      if length >= 42 && frame[12] == 0x08 && frame[13] == 0x00 && frame[14] >> 4 == 4 && frame[23] == 17 {
        let ihl = Int(frame[14] & 0xF) * 4
        swap(frame, 26, 30, 4)
        if length >= 14 + ihl + 8 { swap(frame, 14 + ihl, 14 + ihl + 2, 2) }
      }
      quitting = length >= 17 && frame[14] == 98 && frame[15] == 121 && frame[16] == 101  // "bye"
      if dev.submit(DeviceOp.transmit, offset: out, length: UInt32(length)) != nil {
        answered += 1
      } else {
        transmitFree |= 1 << slot
      }
    }
    if !quitting { _ = dev.submit(DeviceOp.receive, offset: c.offset, length: bufferBytes) }
  }
}
