// The C memory primitives the embedded Swift stdlib and LLVM's code generator call. Freestanding: no
// libc exists on metal. LLVM does not turn the loops of functions named memset/memcpy back into calls
// to themselves, and the word loops keep large copies cheap.
// Word stores go through a typed (aligned) pointer: storeBytes(of:as:) promises nothing about
// alignment, so under -mstrict-align (aarch64) it became eight byte stores per word.

@_cdecl("memset")
public func memset(_ dst: UnsafeMutableRawPointer, _ value: Int32, _ count: Int) -> UnsafeMutableRawPointer {
  let byte = UInt8(truncatingIfNeeded: value)
  var p = dst
  var n = count
  while n > 0 && UInt(bitPattern: p) & 7 != 0 {
    p.storeBytes(of: byte, as: UInt8.self)
    p += 1
    n -= 1
  }
  let word = UInt64(byte) &* 0x0101_0101_0101_0101
  while n >= 32 {
    let w = p.assumingMemoryBound(to: UInt64.self)
    w[0] = word; w[1] = word; w[2] = word; w[3] = word
    p += 32
    n -= 32
  }
  while n >= 8 {
    p.assumingMemoryBound(to: UInt64.self).pointee = word
    p += 8
    n -= 8
  }
  while n > 0 {
    p.storeBytes(of: byte, as: UInt8.self)
    p += 1
    n -= 1
  }
  return dst
}

@_cdecl("memcpy")
public func memcpy(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ count: Int) -> UnsafeMutableRawPointer {
  copyForward(dst, src, count)
  return dst
}

@_cdecl("memmove")
public func memmove(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ count: Int) -> UnsafeMutableRawPointer {
  let d = UInt(bitPattern: dst), s = UInt(bitPattern: src)
  if d <= s || d >= s &+ UInt(count) {
    copyForward(dst, src, count)
  } else {
    var n = count
    while n > 0 {
      n -= 1
      (dst + n).storeBytes(of: (src + n).load(as: UInt8.self), as: UInt8.self)
    }
  }
  return dst
}

@_cdecl("memcmp")
public func memcmp(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Int32 {
  var i = 0
  while i < count {
    let x = (a + i).load(as: UInt8.self), y = (b + i).load(as: UInt8.self)
    if x != y { return Int32(x) - Int32(y) }
    i += 1
  }
  return 0
}

/// Copies front to back; whole words when both pointers share alignment.
@inline(__always)
func copyForward(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ count: Int) {
  var d = dst, s = src, n = count
  if (UInt(bitPattern: d) ^ UInt(bitPattern: s)) & 7 == 0 {
    while n > 0 && UInt(bitPattern: d) & 7 != 0 {
      d.storeBytes(of: s.load(as: UInt8.self), as: UInt8.self)
      d += 1; s += 1; n -= 1
    }
    while n >= 32 {
      let dw = d.assumingMemoryBound(to: UInt64.self)
      let a0 = s.load(as: UInt64.self), a1 = s.load(fromByteOffset: 8, as: UInt64.self)
      let a2 = s.load(fromByteOffset: 16, as: UInt64.self), a3 = s.load(fromByteOffset: 24, as: UInt64.self)
      dw[0] = a0; dw[1] = a1; dw[2] = a2; dw[3] = a3
      d += 32; s += 32; n -= 32
    }
    while n >= 8 {
      d.assumingMemoryBound(to: UInt64.self).pointee = s.load(as: UInt64.self)
      d += 8; s += 8; n -= 8
    }
  }
  while n > 0 {
    d.storeBytes(of: s.load(as: UInt8.self), as: UInt8.self)
    d += 1; s += 1; n -= 1
  }
}
