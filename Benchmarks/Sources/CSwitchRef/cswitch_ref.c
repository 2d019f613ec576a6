// Reference context switches for switch-bench (see cswitch_ref.h).
#define _GNU_SOURCE
#include "cswitch_ref.h"
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static ucontext_t main_ctx, other_ctx;
static volatile uint64_t remaining;

static void other(void) {
  while (remaining > 0) {
    remaining--;
    swapcontext(&other_ctx, &main_ctx);
  }
}

// Two contexts trading the CPU: every swapcontext is one switch (it also saves the signal mask
// with a syscall, which is what libc's switch costs).
double cswitch_swapcontext_ns(uint64_t switches) {
  static char stack[64 * 1024];
  getcontext(&other_ctx);
  other_ctx.uc_stack.ss_sp = stack;
  other_ctx.uc_stack.ss_size = sizeof stack;
  other_ctx.uc_link = &main_ctx;
  makecontext(&other_ctx, other, 0);
  remaining = switches / 2;
  double t0 = now_ns();
  while (remaining > 0) swapcontext(&main_ctx, &other_ctx);
  double t1 = now_ns();
  return (t1 - t0) / (double)switches;
}

static ucontext_t twin_ctx[2];
static volatile uint64_t twin_remaining;

static void twin(int self) {
  while (twin_remaining > 0) {
    twin_remaining--;
    swapcontext(&twin_ctx[self], &twin_ctx[1 - self]);
  }
}

// The same, with both contexts running one function, so each switch returns to the call site it
// left from (the return-address predictor is right, as for fibers running one loop).
double cswitch_swapcontext_same_code_ns(uint64_t switches) {
  static char stacks[2][64 * 1024];
  for (int i = 0; i < 2; i++) {
    getcontext(&twin_ctx[i]);
    twin_ctx[i].uc_stack.ss_sp = stacks[i];
    twin_ctx[i].uc_stack.ss_size = sizeof stacks[i];
    twin_ctx[i].uc_link = &main_ctx;
    makecontext(&twin_ctx[i], (void (*)(void))twin, 1, i);
  }
  twin_remaining = switches;
  double t0 = now_ns();
  swapcontext(&main_ctx, &twin_ctx[0]);
  double t1 = now_ns();
  return (t1 - t0) / (double)switches;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn;
static uint64_t rounds;

static void *pong(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  for (uint64_t i = 0; i < rounds; i++) {
    while (turn != 1) pthread_cond_wait(&cond, &lock);
    turn = 0;
    pthread_cond_signal(&cond);
  }
  pthread_mutex_unlock(&lock);
  return 0;
}

// Two threads handing a token back and forth; every hand-over is one switch.
double cswitch_condvar_ns(uint64_t switches) {
  pthread_t t;
  rounds = switches / 2;
  turn = 0;
  pthread_create(&t, 0, pong, 0);
  double t0 = now_ns();
  pthread_mutex_lock(&lock);
  for (uint64_t i = 0; i < rounds; i++) {
    turn = 1;
    pthread_cond_signal(&cond);
    while (turn != 0) pthread_cond_wait(&cond, &lock);
  }
  pthread_mutex_unlock(&lock);
  double t1 = now_ns();
  pthread_join(t, 0);
  return (t1 - t0) / (double)switches;
}
