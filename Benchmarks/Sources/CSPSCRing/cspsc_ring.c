// See include/cspsc_ring.h. Deliberately the straightforward C version of the ION algorithm: the
// reference the Swift ring is measured against.
#define _GNU_SOURCE
#include "cspsc_ring.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>

struct cring {
  _Alignas(64) _Atomic uint64_t head;  // producer's line
  _Alignas(64) _Atomic uint64_t tail;  // consumer's line
  _Alignas(64) unsigned char *slots;
  uint64_t mask;
  uint32_t slot_size;
};

struct producer { struct cring *r; uint64_t head, cached_tail; };
struct consumer { struct cring *r; uint64_t tail, cached_head; };

static inline int cring_push(struct producer *p, uint32_t type, const void *data, uint32_t len) {
  struct cring *r = p->r;
  if (p->head - p->cached_tail >= r->mask + 1) {
    p->cached_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (p->head - p->cached_tail >= r->mask + 1) return 0;
  }
  unsigned char *s = r->slots + (size_t)(p->head & r->mask) * r->slot_size;
  memcpy(s + 8, data, len);
  memcpy(s, &len, 4);
  memcpy(s + 4, &type, 4);
  p->head++;
  atomic_store_explicit(&r->head, p->head, memory_order_release);
  return 1;
}

static inline int cring_pop(struct consumer *c, uint64_t *checksum) {
  struct cring *r = c->r;
  if (c->cached_head == c->tail) {
    c->cached_head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (c->cached_head == c->tail) return 0;
  }
  unsigned char *s = r->slots + (size_t)(c->tail & r->mask) * r->slot_size;
  uint32_t len;
  memcpy(&len, s, 4);
  if (len > r->slot_size - 8) return -1;
  uint64_t first;
  memcpy(&first, s + 8, 8);
  *checksum += first + len;
  c->tail++;
  atomic_store_explicit(&r->tail, c->tail, memory_order_release);
  return 1;
}

struct job { struct cring *r; uint64_t messages; uint32_t payload; _Atomic int go; };

static void *producer_main(void *arg) {
  struct job *j = arg;
  struct producer p = { j->r, 0, 0 };
  unsigned char msg[256] = {0};
  unsigned spins = 0;
  cspsc_pin_self(1);
  while (!atomic_load_explicit(&j->go, memory_order_acquire)) cspsc_backoff(&spins);
  for (uint64_t i = 0; i < j->messages;) {
    memcpy(msg, &i, 8);
    if (cring_push(&p, 1, msg, j->payload)) i++;
    else cspsc_backoff(&spins);
  }
  return NULL;
}

static _Atomic int pinning;
void cspsc_set_pinning(int on) { atomic_store(&pinning, on); }

int cspsc_pin_self(int cpu) {
  if (!atomic_load(&pinning)) return 0;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0) {
    for (long i = 0; i < n && i < CPU_SETSIZE; i++) CPU_SET(i, &set);
  } else {
    CPU_SET(cpu % n, &set);
  }
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

uint64_t cspsc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double cspsc_run(uint64_t messages, uint32_t payload, uint32_t slot_size, uint32_t slot_count, uint64_t *checksum) {
  struct cring *r = aligned_alloc(64, sizeof *r);
  memset(r, 0, sizeof *r);
  r->slots = aligned_alloc(64, (size_t)slot_size * slot_count);
  memset(r->slots, 0, (size_t)slot_size * slot_count);
  r->mask = slot_count - 1;
  r->slot_size = slot_size;
  struct job j = { r, messages, payload, 0 };
  pthread_t t;
  pthread_create(&t, NULL, producer_main, &j);
  struct consumer c = { r, 0, 0 };
  uint64_t sum = 0, got = 0;
  unsigned spins = 0;
  cspsc_pin_self(0);
  uint64_t start = cspsc_now_ns();
  atomic_store_explicit(&j.go, 1, memory_order_release);
  while (got < messages) {
    int k = cring_pop(&c, &sum);
    if (k > 0) got++;
    else if (k < 0) break;
    else cspsc_backoff(&spins);
  }
  uint64_t end = cspsc_now_ns();
  cspsc_pin_self(-1);
  pthread_join(t, NULL);
  free(r->slots);
  free(r);
  *checksum = sum;
  return (double)(end - start) / 1e9;
}

double cspsc_run_single(uint64_t messages, uint32_t payload, uint32_t slot_size, uint32_t slot_count, uint32_t burst,
                        uint64_t *checksum) {
  struct cring *r = aligned_alloc(64, sizeof *r);
  memset(r, 0, sizeof *r);
  r->slots = aligned_alloc(64, (size_t)slot_size * slot_count);
  memset(r->slots, 0, (size_t)slot_size * slot_count);
  r->mask = slot_count - 1;
  r->slot_size = slot_size;
  struct producer p = { r, 0, 0 };
  struct consumer c = { r, 0, 0 };
  unsigned char msg[256] = {0};
  uint64_t sum = 0;
  uint64_t start = cspsc_now_ns();
  for (uint64_t i = 0; i < messages;) {
    uint64_t n = messages - i < burst ? messages - i : burst;
    for (uint64_t k = 0; k < n; k++) {
      uint64_t v = i + k;
      memcpy(msg, &v, 8);
      cring_push(&p, 1, msg, payload);
    }
    for (uint64_t k = 0; k < n; k++) cring_pop(&c, &sum);
    i += n;
  }
  uint64_t end = cspsc_now_ns();
  free(r->slots);
  free(r);
  *checksum = sum;
  return (double)(end - start) / 1e9;
}
