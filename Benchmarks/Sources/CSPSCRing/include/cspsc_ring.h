// The C reference for the ION ring benchmark: the same single-producer / single-consumer algorithm
// as rumpk/Kernel/ION (power-of-two slots of u32 length, u32 type, payload; u64 head and tail on
// separate cache lines; each side caches the peer's cursor and reads it only when the cache says
// full / empty; per-message release store of the own cursor), written plainly in C11 atomics.
#ifndef CSPSC_RING_H
#define CSPSC_RING_H
#include <stddef.h>
#include <stdint.h>
#include <sched.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Runs `messages` messages of `payload` bytes (8 ... slot_size - 8) through a ring of `slot_count`
/// slots of `slot_size` bytes, producer and consumer on two threads. Returns elapsed seconds and the
/// consumer's checksum (sum of each message's first u64 plus its length) in *checksum.
double cspsc_run(uint64_t messages, uint32_t payload, uint32_t slot_size, uint32_t slot_count, uint64_t *checksum);

/// A spin-wait hint (x86 pause / arm yield), shared with the Swift workloads so all spin alike.
static inline void cspsc_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/// Spin-wait with back-off: pause a few times, then give the core away. On a shared 2-core machine
/// a pure spin can burn a whole time slice while the peer thread is not even running.
static inline void cspsc_backoff(unsigned *spins) {
  if (++*spins < 64) {
    cspsc_pause();
  } else {
    *spins = 0;
    sched_yield();
  }
}

/// The same ring on ONE thread: publish `burst` messages, consume them, repeat until `messages`.
/// Measures the per-message cost of the code itself, without cache-line transfers or scheduling.
double cspsc_run_single(uint64_t messages, uint32_t payload, uint32_t slot_size, uint32_t slot_count, uint32_t burst,
                        uint64_t *checksum);

/// When pinning is on (off by default; ion-bench --pin), the cross-thread workloads pin the consumer
/// to CPU 0 and the producer to CPU 1 so the scheduler never puts both on one core. On a quiet machine
/// that lowers the spread; on a shared one it hurts (a pinned thread cannot dodge a busy core).
void cspsc_set_pinning(int on);
/// Pins the calling thread to `cpu` (mod the number of CPUs), or lets it run anywhere when cpu < 0.
/// Does nothing unless pinning is on.
int cspsc_pin_self(int cpu);

/// A monotonic clock in nanoseconds for the Swift workloads.
uint64_t cspsc_now_ns(void);

#ifdef __cplusplus
}
#endif
#endif
