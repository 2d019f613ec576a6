// The device hook of a cell image (docs/decisions/K5-device-channels.md). CellBoot calls
// rumpk_devices_start_if_linked once the kernel is up and before the first NPL fiber starts. The
// driver module (rumpk/Drivers/virtio, RumpkVirtio) defines rumpk_devices_start; images and hosted
// builds without it leave the weak reference null and start no drivers.
#ifndef RUMPK_DEVICES_H
#define RUMPK_DEVICES_H
#include <stdint.h>

// Probes the devices the device tree at `device_tree` lists (0: none known), publishes their
// channels and starts their driver fibers.
void rumpk_devices_start(uint64_t device_tree) __attribute__((weak));

// The kernel's address of a device's registers at physical address `pa` (from the device tree).
// Each metal HAL defines it: aarch64 maps devices at an alias because the NPL windows sit where
// QEMU virt's MMIO is (docs/decisions/K9-npl-windows.md); riscv64 maps them identity.
uintptr_t rumpk_platform_mmio(uint64_t pa);

// Finds the status port (docs/decisions/A5-status-channel.md) among the virtio-mmio transports the
// HAL listed (VirtioTransports) and installs it as StatusReport's sink. Defined by RumpkStatusPort,
// which every metal image links; hosted builds leave it null.
void rumpk_status_port_open(void) __attribute__((weak));

static inline int rumpk_status_port_open_if_linked(void) {
  if (rumpk_status_port_open == 0) return 0;
  rumpk_status_port_open();
  return 1;
}

static inline int rumpk_devices_start_if_linked(uint64_t device_tree) {
  if (rumpk_devices_start == 0) return 0;
  rumpk_devices_start(device_tree);
  return 1;
}
#endif
