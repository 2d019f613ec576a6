// rumpkctl's node plan, domain XML and console reading, without libvirt: the layout one plan gives
// both the board tree and the domain, the XML libvirt receives (escaped, with the EL2 machine option
// and the management port), and the console lines `logs` shows.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import RumpkManifest
@testable import rumpkctl

final class NodePlanTests: XCTestCase {
  func cell(_ name: String, memory: Int = 64, cpus: Int = 1) -> CellManifest {
    CellManifest(name: name, guest: "hello", arch: .aarch64, memoryMiB: memory, cpus: cpus, restart: .never)
  }

  func testCellsAreLaidOutFromTheBottomOfRAMOnConsecutiveCPUs() throws {
    let plan = try NodePlan.make(name: "n", cells: [cell("a", memory: 64, cpus: 2), cell("b", memory: 32)],
                                 node: NodeSettings())
    XCTAssertEqual(plan.board.cpus, 3)
    XCTAssertEqual(plan.cells.map(\.windowBase), [0x4000_0000, 0x4400_0000])
    XCTAssertEqual(plan.cells.map(\.windowSize), [64 << 20, 32 << 20])
    XCTAssertEqual(plan.cells.map(\.cpuIDs), [[0, 1], [2]])
    XCTAssertEqual(plan.board.qemuArguments,
                   ["-machine", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72", "-m", "1024M",
                    "-smp", "3", "-nodefaults"])
  }

  func testWindowsThatReachTheBundleAreRefusedWithTheRoomThereIs() {
    XCTAssertThrowsError(try NodePlan.make(name: "n", cells: [cell("big", memory: 100), cell("b", memory: 64)],
                                           node: NodeSettings())) { error in
      let message = (error as? UserError)?.message ?? "\(error)"
      XCTAssertTrue(message.contains("cell 'b' needs 64 MiB"), message)
      XCTAssertTrue(message.contains("128 MiB from 0x40000000 to the bundle at 0x48000000"), message)
    }
  }

  func testDomainXMLEscapesNamesAndCarriesEL2AndTheManagementPort() throws {
    let plan = try NodePlan.make(name: "n<'&\">", cells: [cell("a")], node: NodeSettings())
    let dir = URL(fileURLWithPath: "/state/cells/x")
    let xml = DomainXML.make(plan: plan, files: DomainFiles(
      kernel: dir.appendingPathComponent("rumkv.bin"), initrd: dir.appendingPathComponent("bundle.bin"),
      dtb: dir.appendingPathComponent("node.dtb"), consoleLog: dir.appendingPathComponent("console.log"),
      managementLog: dir.appendingPathComponent("management.jsonl"), emulator: "/usr/bin/qemu-system-aarch64"))
    XCTAssertTrue(xml.contains("<name>n&lt;&apos;&amp;&quot;&gt;</name>"), xml)
    XCTAssertFalse(xml.contains("n<'&\">"), "an unescaped name reached the XML")
    XCTAssertTrue(xml.contains("<qemu:arg value='virtualization=on'/>"), xml)
    XCTAssertTrue(xml.contains("<qemu:arg value='file,id=status,path=/state/cells/x/management.jsonl'/>"), xml)
    XCTAssertTrue(xml.contains("<qemu:arg value='virtio-serial-device,bus=virtio-mmio-bus.31'/>"), xml)
    XCTAssertFalse(xml.contains("semihosting"), xml)
    let parsed = try XMLDocument(xmlString: xml)
    XCTAssertEqual(try parsed.nodes(forXPath: "/domain/name").first?.stringValue, "n<'&\">")
  }

  func testDomainUUIDsAreStablePerNameAndVersion8() {
    let a = DomainXML.uuid(forName: "hello"), b = DomainXML.uuid(forName: "hello"), c = DomainXML.uuid(forName: "hellp")
    XCTAssertEqual(a, b)
    XCTAssertNotEqual(a, c)
    XCTAssertNotNil(UUID(uuidString: a))
    XCTAssertEqual(Array(a)[14], "8", a)
  }

  func testConsoleLinesSplitOnTheSerialLineEnd() {
    XCTAssertEqual(ConsoleLog.lines("rumkv: a\r\nhello: b\r\n\r\nlast"), ["rumkv: a", "hello: b", "last"])
    XCTAssertEqual(ConsoleLog.read(URL(fileURLWithPath: "/nonexistent/console.log")), "")
  }
}
