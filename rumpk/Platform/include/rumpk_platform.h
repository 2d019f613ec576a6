// The platform interface of the portable Rumpk core (the "hypercall" layer of a rump kernel).
// The core calls only these; each HAL (aarch64, riscv64) and the hosted Linux platform defines them.
// Everything here is also the documentation of what the core may ask of a platform.
#ifndef RUMPK_PLATFORM_H
#define RUMPK_PLATFORM_H
#include <stddef.h>
#include <stdint.h>

// Console: write never blocks for long and never fails; read returns bytes available now (0 if none).
void rumpk_platform_console_write(const uint8_t *bytes, size_t count);
size_t rumpk_platform_console_read(uint8_t *bytes, size_t capacity);

// Monotonic nanoseconds since boot.
uint64_t rumpk_platform_time_ns(void);

// Sleeps until `deadline_ns` (0: no deadline) or until an event is pushed, whichever is first.
void rumpk_platform_wait(uint64_t deadline_ns);

// Fills `bytes` with seed material for the kernel CSPRNG (hardware RNG where present).
void rumpk_platform_entropy(uint8_t *bytes, size_t count);

// Ends the cell with `code`; never returns.
_Noreturn void rumpk_platform_halt(uint64_t code);

// Saves the callee-saved state of the running context into *from and resumes *to.
// The layout of the context is private to each architecture's switch routine.
void rumpk_context_switch(void **from_sp, void *to_sp);

// Prepares a fresh stack whose top is `stack_top` (16-byte aligned) so that switching to the
// returned stack pointer calls entry(arg). `entry` must never return.
void *rumpk_context_prepare(void *stack_top, void (*entry)(uint64_t), uint64_t arg);

// Like rumpk_context_prepare, for an NPL fiber in user mode (EL0 / U-mode): `stack_top` is the
// fiber's kernel stack (traps from user mode land on it), `user_stack_top` its user stack. The first
// switch to the returned stack pointer enters user mode at entry(arg); when entry returns the fiber
// ends. Platforms without user mode leave it undefined (weak: null) and the kernel never calls it
// unless the platform asked for user-mode fibers (KernelConfiguration.userStacks).
void *rumpk_context_prepare_user(void *stack_top, void *user_stack_top, void (*entry)(uint64_t),
                                 uint64_t arg) __attribute__((weak));
static inline int rumpk_context_prepare_user_linked(void) { return rumpk_context_prepare_user != 0; }

// Context lifetimes, for a platform that keeps a record of every context (hosted mode built with a
// sanitizer: each stack's bounds and the checker's own fiber state). After preparing a context the
// kernel names the whole stack it owns (adopt); once a context will never run again, and before its
// stack is freed or reused, the kernel retires it (never while it runs). `sp` is what prepare
// returned or the last switch away from the context stored. Platforms that keep no record leave
// both undefined (weak: null) and the kernel skips the calls; neither is on the switch path.
void rumpk_context_adopt(void *sp, void *stack_base, size_t stack_size) __attribute__((weak));
void rumpk_context_retire(void *sp) __attribute__((weak));
static inline void rumpk_context_adopt_if_linked(void *sp, void *stack_base, size_t stack_size) {
  if (rumpk_context_adopt != 0) rumpk_context_adopt(sp, stack_base, stack_size);
}
static inline void rumpk_context_retire_if_linked(void *sp) {
  if (rumpk_context_retire != 0) rumpk_context_retire(sp);
}

// Device interrupts, two-phase (docs/decisions/K8-device-interrupts.md). `cells` is a device node's
// `interrupts` property as the device tree stores it (`count` big-endian 32-bit cells, in the
// format of the cell's interrupt controller). The HAL enables that interrupt; each time it fires,
// phase one masks it, pushes an event with `source` (value: the controller's interrupt number) and
// ends it. The driver handles its device and then calls rumpk_platform_irq_unmask with the
// returned handle. Returns 0 when the platform cannot deliver it (no controller of its own, a
// specifier it does not understand, a full table): the driver then polls. Metal HALs only.
uint32_t rumpk_platform_irq_attach(const uint8_t *cells, size_t count, uint32_t source);
void rumpk_platform_irq_unmask(uint32_t handle);

// A cheap monotonic tick counter (cycle counter, CNTVCT, rdtime) and its rate, for budgets.
uint64_t rumpk_platform_ticks(void);
uint64_t rumpk_platform_ticks_per_second(void);

// rumpk_platform_ticks as the scheduler reads it at every switch: inline on bare metal (the counter
// register itself), the platform's function where there is an OS underneath.
static inline uint64_t rumpk_switch_ticks(void) {
#if defined(__aarch64__) && !defined(__linux__)
  uint64_t v;
  __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#elif defined(__riscv) && !defined(__linux__)
  uint64_t v;
  __asm__ volatile("rdtime %0" : "=r"(v));
  return v;
#else
  return rumpk_platform_ticks();
#endif
}

#include "rumpk_atomics.h"

// The NPL entry point the cell image links in (guests/<name>); runs with `arg` = 0 on the boot fiber.
void npl_main(uint64_t arg);
#endif
