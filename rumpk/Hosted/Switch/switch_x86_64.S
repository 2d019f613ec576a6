// Fiber context switch for hosted mode on x86_64 (System V ABI).
// void rumpk_hosted_switch_stacks(void **from_sp, void *to_sp)
// Assumes: to_sp was saved by this routine or built by rumpk_hosted_prepare_frame.
// Guarantees: the callee-saved registers of the caller are preserved across the switch; only rsp
// moves between stacks. MXCSR and the x87 control word are process-wide settings no fiber changes,
// so they are not switched (saving them cost more than the rest of the switch).
// It is rumpk_context_switch itself (an alias) unless a sanitizer is on: then sanitized_contexts.c
// defines rumpk_context_switch, which tells the sanitizer about the switch around this routine.
#include "switch_internal.h"
    .text
    .globl rumpk_hosted_switch_stacks
    .type rumpk_hosted_switch_stacks, @function
rumpk_hosted_switch_stacks:
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .size rumpk_hosted_switch_stacks, .-rumpk_hosted_switch_stacks
#if !RUMPK_HOSTED_SANITIZED
    .globl rumpk_context_switch
    .type rumpk_context_switch, @function
    .set rumpk_context_switch, rumpk_hosted_switch_stacks
#endif

// First code a new fiber runs: r12 = argument, r13 = entry. The entry must not return.
    .globl rumpk_fiber_trampoline
    .type rumpk_fiber_trampoline, @function
rumpk_fiber_trampoline:
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .size rumpk_fiber_trampoline, .-rumpk_fiber_trampoline
    .section .note.GNU-stack,"",@progbits
