// Fiber context switch, aarch64 (AAPCS64). Kernel and NPL code are built general-registers-only, so
// the callee-saved state is x19-x29, x30 and sp.
// void rumpk_context_switch(void **from_sp, void *to_sp)
    .text
    .global rumpk_context_switch
rumpk_context_switch:
    sub     sp, sp, #96
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    mov     x9, sp
    str     x9, [x0]
    mov     sp, x1
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    add     sp, sp, #96
    ret

// void *rumpk_context_prepare(void *stack_top, void (*entry)(uint64_t), uint64_t arg)
// A frame that rumpk_context_switch pops into: x19 = arg, x20 = entry, x30 = trampoline.
    .global rumpk_context_prepare
rumpk_context_prepare:
    and     x0, x0, #~15
    sub     x0, x0, #96
    stp     x2, x1, [x0, #0]
    stp     xzr, xzr, [x0, #16]
    stp     xzr, xzr, [x0, #32]
    stp     xzr, xzr, [x0, #48]
    stp     xzr, xzr, [x0, #64]
    adr     x9, rumpk_fiber_trampoline
    stp     xzr, x9, [x0, #80]
    ret

rumpk_fiber_trampoline:
    mov     x0, x19
    blr     x20
    brk     #1
