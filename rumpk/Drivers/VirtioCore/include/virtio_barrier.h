// Memory barriers the virtio drivers need between filling DMA memory (descriptors, avail ring) and
// telling the device (an MMIO store), and between reading the used index and reading the used
// elements. Full-system barriers: the device is another observer of RAM, not another CPU.
#ifndef RUMPK_VIRTIO_BARRIER_H
#define RUMPK_VIRTIO_BARRIER_H

static inline void rumpk_virtio_mb(void) {
#if defined(__aarch64__)
  __asm__ volatile("dmb sy" ::: "memory");
#elif defined(__riscv)
  __asm__ volatile("fence iorw, iorw" ::: "memory");
#else
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

#endif
