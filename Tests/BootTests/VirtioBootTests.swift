// VirtIO devices and device channels (K5), booted for real: pingpong (two fibers, one ION ring),
// kv (a key-value log on virtio-blk that survives a restart of the cell, seeded by virtio-rng) and
// echo (frames answered on virtio-net, over a UDP socket netdev on loopback), on both arches.

import Foundation
import QEMUHarness
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class VirtioBootTests: XCTestCase {
  let arches = ["aarch64", "riscv64"]

  func run(_ args: [String], timeout: TimeInterval = 60) throws -> CellOutput {
    try CellProcess.run(ProjectPaths.rumpkctl, args, timeout: timeout)
  }

  func requireImage(_ guest: String, _ arch: String) throws {
    let image = ProjectPaths.image(guest, arch)
    guard FileManager.default.fileExists(atPath: image.path) else {
      XCTFail("\(image.path) is missing: run `make images` before the tests (make test does)")
      throw XCTSkip("image missing")
    }
  }

  /// The checksum guests/pingpong computes: FNV-style over v = i * 0x9E3779B97F4A7C15.
  static func pingpongChecksum(_ n: UInt64) -> UInt64 {
    var c: UInt64 = 0xCBF2_9CE4_8422_2325
    for i in 0..<n { c = (c ^ (i &* 0x9E37_79B9_7F4A_7C15)) &* 0x100_0000_01B3 }
    return c
  }

  func testPingPongChecksumOverOneIONRingOnBothArches() throws {
    let expected = "pingpong: 10000 messages, checksum 0x" + String(Self.pingpongChecksum(10_000), radix: 16)
    for arch in arches {
      try requireImage("pingpong", arch)
      let r = try run(["run", "pingpong", "--arch", arch, "--timeout", "60"])
      XCTAssertFalse(r.timedOut, "\(arch): \(r.stdout)")
      XCTAssertEqual(r.status, 0, "\(arch): \(r.stdout)\(r.stderr)")
      XCTAssertTrue(r.has(expected), "\(arch): expected '\(expected)' in\n\(r.stdout)")
    }
  }

  func testKeyValueLogSurvivesARestartOnBothArches() throws {
    for arch in arches {
      try requireImage("kv", arch)
      let disk = FileManager.default.temporaryDirectory.appendingPathComponent("rumpk-kv-\(UUID().uuidString).img")
      XCTAssertTrue(FileManager.default.createFile(atPath: disk.path, contents: Data(count: 1 << 20)))
      defer { try? FileManager.default.removeItem(at: disk) }

      let first = try run(["run", "kv", "--arch", arch, "--disk", disk.path, "--rng", "--timeout", "60"])
      XCTAssertEqual(first.status, 0, "\(arch): \(first.stdout)\(first.stderr)")
      XCTAssertTrue(first.has("virtio: rng seeded the kernel CSPRNG with 64 bytes"), "\(arch): \(first.stdout)")
      XCTAssertTrue(first.has("virtio: blk0 has 2048 sectors, channel /dev/blk0"), "\(arch): \(first.stdout)")
      // Console lines end in CRLF, a single Character in Swift: split on the scalars.
      let lines = first.stdout.replacingOccurrences(of: "\r", with: "").split(separator: "\n")
      let wrote = lines.first { $0.contains("kv: empty disk; wrote 3 records, nonce ") }
      let nonce = wrote.map { String($0.split(separator: " ").last ?? "") } ?? ""
      XCTAssertEqual(nonce.count, 16, "\(arch): \(first.stdout)")

      let second = try run(["run", "kv", "--arch", arch, "--disk", disk.path, "--timeout", "60"])
      XCTAssertEqual(second.status, 0, "\(arch): \(second.stdout)\(second.stderr)")
      XCTAssertFalse(second.has("kv: empty disk"), "\(arch): \(second.stdout)")
      XCTAssertTrue(second.has("kv: answer = 42"), "\(arch): \(second.stdout)")
      XCTAssertTrue(second.has("kv: greeting = hello from the disk"), "\(arch): \(second.stdout)")
      XCTAssertTrue(second.has("kv: nonce = \(nonce)"), "\(arch): \(second.stdout)")
      XCTAssertTrue(second.has("kv: 3 records read back"), "\(arch): \(second.stdout)")
    }
  }

  func testKVWithoutADiskSaysHowToAttachOne() throws {
    try requireImage("kv", "riscv64")
    let r = try run(["run", "kv", "--arch", "riscv64", "--timeout", "30"])
    XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
    XCTAssertTrue(r.has("kv: no block device (/dev/blk0); run with --disk FILE"), r.stdout)
  }

  func testEchoAnswersFramesOverAUDPSocketOnBothArches() throws {
    for (n, arch) in arches.enumerated() {
      try requireImage("echo", arch)
      let base = 20000 + Int(getpid() % 20000) + 2 * n
      let (cellPort, testPort) = (base, base + 20001)
      let peer = try UDPPeer(port: UInt16(testPort))
      let exchange = EchoExchange(peer: peer, cellPort: UInt16(cellPort))
      let thread = Thread { exchange.run() }
      thread.start()
      let r = try run(["run", "echo", "--arch", arch, "--net-socket", "\(cellPort):\(testPort)", "--timeout", "60"])
      exchange.stop = true
      while !exchange.finished { usleep(10_000) }
      XCTAssertEqual(r.status, 0, "\(arch): \(r.stdout)\(r.stderr)")
      XCTAssertTrue(r.has("echo: listening, MAC 52:54:00:12:34:56"), "\(arch): \(r.stdout)")
      XCTAssertTrue(r.has("echo: answered"), "\(arch): \(r.stdout)")
      // Waiting for frames, the cell sleeps: the frames arrive as device interrupts (K8), not polls.
      XCTAssertTrue(r.stdout.contains(" device interrupts"), "\(arch): \(r.stdout)")
      guard let reply = exchange.reply else {
        XCTFail("\(arch): no answer to the ping frame\n\(r.stdout)")
        continue
      }
      let ping = EchoExchange.pingFrame
      XCTAssertEqual(reply.count, ping.count, arch)
      XCTAssertEqual(Array(reply[0..<6]), Array(ping[6..<12]), "\(arch): destination is the sender")
      XCTAssertEqual(Array(reply[6..<12]), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], "\(arch): source is the cell's MAC")
      XCTAssertEqual(Array(reply[12...]), Array(ping[12...]), "\(arch): ethertype and payload echoed")
      XCTAssertEqual(exchange.byeReply.map { Array($0[14..<17]) }, Array("bye".utf8), arch)
    }
  }
}

/// A UDP socket on 127.0.0.1:port with a short receive timeout.
final class UDPPeer {
  let fd: Int32

  init(port: UInt16) throws {
    fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw XCTSkip("no UDP socket") }
    var address = UDPPeer.loopback(port)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw XCTSkip("UDP port \(port) is taken") }
    var tv = timeval(tv_sec: 0, tv_usec: 200_000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close(fd) }

  static func loopback(_ port: UInt16) -> sockaddr_in {
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = port.bigEndian
    a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return a
  }

  func send(_ bytes: [UInt8], to port: UInt16) {
    var address = UDPPeer.loopback(port)
    _ = bytes.withUnsafeBytes { b in
      withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
    }
  }

  /// One datagram, or nil after the receive timeout.
  func receive() -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: 2048)
    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    return n > 0 ? Array(buffer[0..<n]) : nil
  }
}

/// The test's side of the echo exchange: sends a ping frame every 200 ms until the cell answers,
/// then a "bye" frame, which the cell answers before it halts.
final class EchoExchange: @unchecked Sendable {
  static let sender: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
  static let pingFrame: [UInt8] = [UInt8](repeating: 0xFF, count: 6) + sender + [0x88, 0xB5]
    + Array("ping from the test, 0123456789".utf8) + [UInt8](repeating: 0x5A, count: 24)
  static let byeFrame: [UInt8] = [UInt8](repeating: 0xFF, count: 6) + sender + [0x88, 0xB5]
    + Array("bye".utf8) + [UInt8](repeating: 0, count: 48)

  let peer: UDPPeer
  let cellPort: UInt16
  var reply: [UInt8]? = nil
  var byeReply: [UInt8]? = nil
  var stop = false
  var finished = false

  init(peer: UDPPeer, cellPort: UInt16) {
    self.peer = peer
    self.cellPort = cellPort
  }

  func run() {
    defer { finished = true }
    let deadline = Date().addingTimeInterval(50)
    while reply == nil && !stop && Date() < deadline {
      peer.send(EchoExchange.pingFrame, to: cellPort)
      if let r = peer.receive(), r.count >= 14, r[12] == 0x88, r[13] == 0xB5, r[14] == UInt8(ascii: "p") { reply = r }
    }
    while byeReply == nil && !stop && Date() < deadline {
      peer.send(EchoExchange.byeFrame, to: cellPort)
      for _ in 0..<3 {
        if let r = peer.receive(), r.count >= 17, r[14] == UInt8(ascii: "b") {
          byeReply = r
          break
        }
      }
    }
  }
}
