// What the hosted switch's C and assembly files share: whether this build runs under a sanitizer
// that must be told about fiber switches, and the two raw routines every build has.
#ifndef RUMPK_HOSTED_SWITCH_INTERNAL_H
#define RUMPK_HOSTED_SWITCH_INTERNAL_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUMPK_HOSTED_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define RUMPK_HOSTED_TSAN 1
#endif
#endif
// Under a sanitizer, rumpk_context_prepare / rumpk_context_switch are sanitized_contexts.c, which
// wraps the raw routines; otherwise they are the raw routines themselves (aliases, no extra call).
#if defined(RUMPK_HOSTED_ASAN) || defined(RUMPK_HOSTED_TSAN)
#define RUMPK_HOSTED_SANITIZED 1
#endif

#ifndef __ASSEMBLER__
#include <stdint.h>
// switch_x86_64.S: saves the callee-saved registers on the current stack, stores the stack pointer
// in *from_sp, and resumes the stack `to_sp` (one this routine saved or prepare_frame built).
void rumpk_hosted_switch_stacks(void **from_sp, void *to_sp);
// prepare_x86_64.c: a frame below `stack_top` that rumpk_hosted_switch_stacks resumes as a call to
// entry(arg); returns its stack pointer.
void *rumpk_hosted_prepare_frame(void *stack_top, void (*entry)(uint64_t), uint64_t arg);
// The platform calls (rumpk_platform.h) this target defines in C; that header stays out of it so
// that its weak declarations do not make these definitions weak.
void *rumpk_context_prepare(void *stack_top, void (*entry)(uint64_t), uint64_t arg);
void rumpk_context_switch(void **from_sp, void *to_sp);
#endif
#endif
