// How a node is laid out: the board (machine, CPU, RAM, CPU count) and, for each cell, its RAM
// window and CPUs. One plan feeds both the board tree dump and the domain XML, so they cannot differ.

import Foundation

/// The QEMU machine every aarch64 node runs on (the board the node boots). The DTB is dumped with
/// exactly these options.
struct NodeMachine: Equatable, Sendable {
  var machine = "virt"
  var machineOptions = ["virtualization=on", "gic-version=3"]
  var cpuModel = "cortex-a72"
  var memoryMiB: Int
  var cpus: Int

  /// Guest-physical RAM base of QEMU's virt board.
  static let ramBase: UInt64 = 0x4000_0000
  /// QEMU's loader puts the initrd (the bundle) at RAM base + min(RAM / 2, 128 MiB); cell windows
  /// must end below it.
  var bundleAddress: UInt64 { NodeMachine.ramBase + UInt64(min(memoryMiB / 2, 128)) << 20 }

  /// The QEMU options that describe this board (shared by the DTB dump and, through libvirt, the
  /// domain): what libvirt derives from the XML, spelled the way QEMU takes it.
  var qemuArguments: [String] {
    ["-machine", ([machine] + machineOptions).joined(separator: ","), "-cpu", cpuModel,
     "-m", "\(memoryMiB)M", "-smp", "\(cpus)", "-nodefaults"]
  }
}

/// Where one cell lives on the node.
struct CellPlacement: Equatable, Sendable {
  var cell: CellManifest
  var windowBase: UInt64
  var windowSize: UInt64
  var cpuIDs: [UInt32]
}

struct NodePlan: Equatable, Sendable {
  /// The node's name: the libvirt domain's name.
  var name: String
  var board: NodeMachine
  var cells: [CellPlacement]

  /// Lays the cells out from the bottom of RAM, in order, on consecutive CPUs.
  static func make(name: String, cells: [CellManifest], node: NodeSettings) throws -> NodePlan {
    let cpuCount = max(1, cells.reduce(0) { $0 + $1.cpus })
    let board = NodeMachine(memoryMiB: node.memoryMiB, cpus: cpuCount)
    var placements: [CellPlacement] = []
    var base = NodeMachine.ramBase
    var cpu: UInt32 = 0
    for cell in cells {
      let size = UInt64(cell.memoryMiB) << 20
      guard base + size <= board.bundleAddress else {
        let room = (board.bundleAddress - NodeMachine.ramBase) >> 20
        throw UserError("cell '\(cell.name)' needs \(cell.memoryMiB) MiB but cell windows on this node must fit in the \(room) MiB from 0x\(hex(NodeMachine.ramBase)) to the bundle at 0x\(hex(board.bundleAddress))")
      }
      placements.append(CellPlacement(cell: cell, windowBase: base, windowSize: size,
                                      cpuIDs: (0..<UInt32(cell.cpus)).map { cpu + $0 }))
      base += size
      cpu += UInt32(cell.cpus)
    }
    return NodePlan(name: name, board: board, cells: placements)
  }
}

func hex(_ v: UInt64) -> String { String(v, radix: 16, uppercase: false) }
