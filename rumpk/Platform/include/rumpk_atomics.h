// Atomic accesses for memory shared with other threads, cores or cells (ION ring cursors, event
// rings). Plain C11 builtins: the same code on metal, in hosted mode and in tests.
#ifndef RUMPK_ATOMICS_H
#define RUMPK_ATOMICS_H
#include <stdint.h>

static inline uint64_t rumpk_load_acquire_u64(const volatile uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void rumpk_store_release_u64(volatile uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t rumpk_load_relaxed_u64(const volatile uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void rumpk_store_relaxed_u64(volatile uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint32_t rumpk_load_acquire_u32(const volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint32_t rumpk_load_relaxed_u32(const volatile uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void rumpk_store_release_u32(volatile uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline uint64_t rumpk_fetch_add_u64(volatile uint64_t *p, uint64_t v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }
static inline void rumpk_fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#endif
