// Hosted mode (x86_64): a fresh fiber stack laid out as rumpk_hosted_switch_stacks expects to pop it.
#include <stdint.h>
#include "rumpk_hosted_switch.h"
#include "switch_internal.h"

// Assumes stack_top is the end of writable memory with room for 80 bytes below it. Guarantees the
// frame, low to high: r15, r14, r13 (entry), r12 (arg), rbx, rbp, return address (the trampoline);
// after `ret` the stack pointer is 16-byte aligned, as the trampoline's call needs.
void *rumpk_hosted_prepare_frame(void *stack_top, void (*entry)(uint64_t), uint64_t arg) {
  uint64_t *top = (uint64_t *)(((uintptr_t)stack_top & ~(uintptr_t)15) - 16);
  uint64_t *frame = top - 7;
  frame[0] = 0;                       // r15
  frame[1] = 0;                       // r14
  frame[2] = (uint64_t)(uintptr_t)entry;  // r13
  frame[3] = arg;                     // r12
  frame[4] = 0;                       // rbx
  frame[5] = 0;                       // rbp
  frame[6] = (uint64_t)(uintptr_t)rumpk_fiber_trampoline;
  return frame;
}

#if !RUMPK_HOSTED_SANITIZED
// Without a sanitizer the platform's context is the bare frame (sanitized_contexts.c otherwise).
void *rumpk_context_prepare(void *stack_top, void (*entry)(uint64_t), uint64_t arg)
    __attribute__((alias("rumpk_hosted_prepare_frame")));
#endif

// Hosted mode has no user mode: an NPL fiber runs on its one stack, like a kernel fiber.
void *rumpk_context_prepare_user(void *stack_top, void *user_stack_top, void (*entry)(uint64_t), uint64_t arg) {
  (void)user_stack_top;
  return rumpk_context_prepare(stack_top, entry, arg);
}

extern char __executable_start[], etext[], __data_start[], end[];
const void *hosted_text_start(void) { return __executable_start; }
const void *hosted_text_end(void) { return etext; }
const void *hosted_data_start(void) { return __data_start; }
const void *hosted_data_end(void) { return end; }
