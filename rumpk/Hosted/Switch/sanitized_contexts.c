// Hosted mode under AddressSanitizer or ThreadSanitizer: fiber contexts the sanitizer can follow
// (docs/decisions/K11-sanitizers.md). Compiled to nothing in a normal build, whose
// rumpk_context_prepare / rumpk_context_switch are the raw routines themselves.
//
// A context is a record at the top of its fiber's stack, and the "stack pointer" the kernel keeps for
// it is the record's address (the kernel treats it as opaque): the record holds the real saved stack
// pointer, the stack's bounds (rumpk_context_adopt), ASan's fake stack while the context is
// switched out, and its TSan fiber. The thread's own stack (the kernel context) has a thread-local
// record. Every switch tells the sanitizers, and the first code of a fresh fiber ends the switch
// into it. rumpk_context_retire frees the TSan fiber and unpoisons the stack, so that the poisoned
// frames of a fiber that never returned cannot haunt whoever gets its memory next.
//
// Fibers run without ASan's fake stack (stack-use-after-return detection), which stays on for the
// thread's own stack: the fake stack moves a local whose address is taken off the fiber's stack,
// and the kernel rightly refuses a syscall buffer outside the calling fiber's memory (EFAULT).
#include "switch_internal.h"
#if RUMPK_HOSTED_SANITIZED
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#if RUMPK_HOSTED_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#if RUMPK_HOSTED_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#define LIVE_CONTEXT 0x5254435845544E43ull  // marks a record between prepare and retire

struct sanitized_context {
  uint64_t magic;
  void *saved_sp;              // where rumpk_hosted_switch_stacks resumes it
  const void *stack_bottom;    // its whole stack; the thread's own as ASan reported it
  size_t stack_size;
  void *fake_stack;            // ASan: the fake frames of a switched-out thread stack (fibers have none)
  void *tsan_fiber;            // TSan: the fiber the context runs as
  void (*entry)(uint64_t);     // what a fresh context calls first
  uint64_t arg;
};

static __thread struct sanitized_context thread_context;
static __thread struct sanitized_context *running;       // null until the thread first switches
static __thread struct sanitized_context *switched_from;  // the context the last switch left
#if RUMPK_HOSTED_ASAN
// Read by every instrumented function's prologue: whether to put its frame on the fake stack.
extern int __asan_option_detect_stack_use_after_return;
static int fake_stacks_on_thread_stacks;  // the process's setting, for the thread's own stack
#endif

// Stops the process, naming the platform call, the context it was given and what was wrong.
static _Noreturn void refuse(const char *call, const void *sp, const char *why) {
  fprintf(stderr, "rumpk hosted: %s(%p): %s\n", call, sp, why);
  abort();
}

// Assumes nothing. Guarantees the record of the context running on this thread; the first call
// makes one for the thread's own stack (bounds learnt at the first switch away from it).
static struct sanitized_context *running_context(void) {
  if (!running) {
    thread_context.magic = LIVE_CONTEXT;
#if RUMPK_HOSTED_ASAN
    fake_stacks_on_thread_stacks = __asan_option_detect_stack_use_after_return;
#endif
#if RUMPK_HOSTED_TSAN
    thread_context.tsan_fiber = __tsan_get_current_fiber();
#endif
    running = &thread_context;
  }
  return running;
}

// Assumes nothing. Guarantees `sp` names a live record, or stops the process saying which call
// got a stale or foreign context.
static struct sanitized_context *live(void *sp, const char *call) {
  struct sanitized_context *c = sp;
  if (!c || c->magic != LIVE_CONTEXT) refuse(call, sp, "not a live context");
  return c;
}

// Assumes `to` is live and will run next on this thread. Guarantees the sanitizers know: ASan keeps
// the fake stack of `from` in its record and expects `to`'s stack; TSan runs as `to`'s fiber from
// here on (synchronising, since all fibers of a cell take turns on one thread). Inlined: a call of
// its own would enter TSan's shadow call stack of one fiber and leave that of the other.
__attribute__((always_inline, no_sanitize("address")))
static inline void announce_switch(struct sanitized_context *from, struct sanitized_context *to) {
#if RUMPK_HOSTED_ASAN
  __sanitizer_start_switch_fiber(&from->fake_stack, to->stack_bottom, to->stack_size);
#endif
#if RUMPK_HOSTED_TSAN
  __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
  switched_from = from;
  running = to;
}

// Assumes `self` is the context now running, just switched into. Guarantees ASan has its fake stack
// back (a fiber has none: its frames stay on its own stack) and, when the switch came from the
// thread's own stack, that stack's bounds are recorded for switching back to it.
__attribute__((always_inline, no_sanitize("address")))
static inline void land(struct sanitized_context *self) {
#if RUMPK_HOSTED_ASAN
  const void *left_bottom = 0;
  size_t left_size = 0;
  __sanitizer_finish_switch_fiber(self->fake_stack, &left_bottom, &left_size);
  self->fake_stack = 0;
  __asan_option_detect_stack_use_after_return = self == &thread_context ? fake_stacks_on_thread_stacks : 0;
  if (switched_from == &thread_context) {
    thread_context.stack_bottom = left_bottom;
    thread_context.stack_size = left_size;
  }
#else
  (void)self;
#endif
}

// The first code of every prepared context (through the trampoline): ends the switch into it, then
// runs its entry, which never returns.
__attribute__((no_sanitize("address")))
static void first_entry(uint64_t record) {
  struct sanitized_context *self = (struct sanitized_context *)(uintptr_t)record;
  land(self);
  self->entry(self->arg);
  refuse("first_entry", self, "the entry returned");
}

// Assumes `stack_top` ends a stack the caller owns, with room below it for the record and a frame.
// Guarantees a live record at the top of the stack whose address is the context's stack pointer;
// the caller names the whole stack with rumpk_context_adopt before the first switch to it.
void *rumpk_context_prepare(void *stack_top, void (*entry)(uint64_t), uint64_t arg) {
  uintptr_t top = (uintptr_t)stack_top & ~(uintptr_t)15;
  struct sanitized_context *c = (struct sanitized_context *)((top - sizeof *c) & ~(uintptr_t)15);
  *c = (struct sanitized_context){.magic = LIVE_CONTEXT, .entry = entry, .arg = arg};
#if RUMPK_HOSTED_TSAN
  c->tsan_fiber = __tsan_create_fiber(0);
#endif
  c->saved_sp = rumpk_hosted_prepare_frame(c, first_entry, (uint64_t)(uintptr_t)c);
  return c;
}

// Assumes `sp` came from rumpk_context_prepare on a stack inside [stack_base, +stack_size).
// Guarantees the sanitizers will be told that stack when the context runs; LSan scans it for heap
// pointers while the context lives, as it scans thread stacks.
void rumpk_context_adopt(void *sp, void *stack_base, size_t stack_size) {
  struct sanitized_context *c = live(sp, "rumpk_context_adopt");
  if ((uintptr_t)c < (uintptr_t)stack_base || (uintptr_t)(c + 1) > (uintptr_t)stack_base + stack_size)
    refuse("rumpk_context_adopt", sp, "the context lies outside the stack it is given");
  c->stack_bottom = stack_base;
  c->stack_size = stack_size;
#if RUMPK_HOSTED_ASAN
  __lsan_register_root_region(stack_base, stack_size);
#endif
}

// Assumes `sp` is a live context that is not running and never will again. Guarantees its TSan
// fiber is freed, its stack is unpoisoned and no longer a leak-scan root, and the record is dead (a
// later switch to it stops the process instead of running garbage).
__attribute__((no_sanitize("address")))
void rumpk_context_retire(void *sp) {
  struct sanitized_context *c = live(sp, "rumpk_context_retire");
  if (c == running_context()) refuse("rumpk_context_retire", sp, "the context is running");
  c->magic = 0;
#if RUMPK_HOSTED_ASAN
  if (c->stack_size) {
    __lsan_unregister_root_region(c->stack_bottom, c->stack_size);
    __asan_unpoison_memory_region(c->stack_bottom, c->stack_size);
  }
#endif
#if RUMPK_HOSTED_TSAN
  __tsan_destroy_fiber(c->tsan_fiber);
  c->tsan_fiber = 0;
#endif
}

// Assumes `to_sp` is a live context this thread may run (prepared and adopted, or saved by an
// earlier switch) and `from_sp` the kernel's slot for the running one. Guarantees what the raw
// switch does, with both sanitizers told; returns when something switches back to this context.
__attribute__((no_sanitize("address")))
void rumpk_context_switch(void **from_sp, void *to_sp) {
  struct sanitized_context *from = running_context();
  struct sanitized_context *to = live(to_sp, "rumpk_context_switch");
  if (to->stack_size == 0 && to != &thread_context)
    refuse("rumpk_context_switch", to_sp, "the context was never adopted (rumpk_context_adopt)");
  *from_sp = from;
  announce_switch(from, to);
  rumpk_hosted_switch_stacks(&from->saved_sp, to->saved_sp);
  land(from);
}
#endif
