// Hosted mode: the tick counter budgets are charged with (rumpk_platform_ticks), kept off the
// switch path. Reading the TSC costs 21-26 ns in this kind of VM, more than the rest of a fiber
// switch, and the scheduler reads the tick counter at every switch. So a clock thread stores
// CLOCK_MONOTONIC (ns) in a shared word every 100 us while the cell runs, and a switch reads that
// word: budgets are charged with a resolution of about 100 us (5 % of Photon's 2 ms budget).
// While the cell idles in the platform wait the thread parks on a futex: no wake-ups in idle, and
// leaving the wait refreshes the word first (docs/decisions/K7-hosted-budget-clock.md).
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "rumpk_hosted_switch.h"

static _Atomic uint64_t clock_word;
static _Atomic uint32_t idle;      // 1 while the cell waits in rumpk_platform_wait
static _Atomic uint32_t parked;    // 1 while the clock thread sleeps on `idle`
static pthread_once_t started = PTHREAD_ONCE_INIT;

static uint64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void *clock_thread(void *unused) {
  (void)unused;
  const struct timespec period = {0, RUMPK_HOSTED_CLOCK_PERIOD_NS};
  for (;;) {
    atomic_store_explicit(&clock_word, monotonic_ns(), memory_order_relaxed);
    if (atomic_load_explicit(&idle, memory_order_acquire)) {
      atomic_store(&parked, 1);
      if (atomic_load(&idle)) syscall(SYS_futex, &idle, FUTEX_WAIT_PRIVATE, 1, 0, 0, 0);
      atomic_store(&parked, 0);
      continue;
    }
    nanosleep(&period, 0);
  }
  return 0;
}

static void start_clock(void) {
  atomic_store(&clock_word, monotonic_ns());
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 10);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  pthread_create(&thread, &attr, clock_thread, 0);
  pthread_attr_destroy(&attr);
}

uint64_t rumpk_platform_ticks(void) {
  return atomic_load_explicit(&clock_word, memory_order_relaxed);
}

uint64_t rumpk_platform_ticks_per_second(void) {
  pthread_once(&started, start_clock);
  return 1000000000ull;
}

void rumpk_hosted_clock_idle(int waiting) {
  if (waiting) {
    atomic_store_explicit(&idle, 1, memory_order_release);
    return;
  }
  atomic_store_explicit(&clock_word, monotonic_ns(), memory_order_relaxed);
  atomic_store_explicit(&idle, 0, memory_order_release);
  if (atomic_load(&parked)) syscall(SYS_futex, &idle, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}
