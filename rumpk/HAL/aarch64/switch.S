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

// void *rumpk_context_prepare_user(void *stack_top, void *user_stack_top, void (*entry)(uint64_t), uint64_t arg)
// A frame for an NPL fiber at EL0: x19 = arg, x20 = entry, x21 = user stack top, x30 = the EL0 entry
// below. `stack_top` is the kernel stack, where the first switch leaves SP (= SP_EL1 at EL0).
    .global rumpk_context_prepare_user
rumpk_context_prepare_user:
    and     x0, x0, #~15
    sub     x0, x0, #96
    stp     x3, x2, [x0, #0]
    and     x1, x1, #~15
    stp     x1, xzr, [x0, #16]
    stp     xzr, xzr, [x0, #32]
    stp     xzr, xzr, [x0, #48]
    stp     xzr, xzr, [x0, #64]
    adr     x9, rumpk_el0_first_entry
    stp     xzr, x9, [x0, #80]
    ret

// First code of an EL0 fiber, still at EL1 on its empty kernel stack: the kernel's landing work and
// the page-table view of this fiber (rumpk_el0_enter), then eret to entry(arg) at EL0t with IRQs
// masked, SP_EL0 = the user stack and LR = rumpk_el0_return. No kernel value survives in a register.
rumpk_el0_first_entry:
    bl      rumpk_el0_enter
    msr     sp_el0, x21
    msr     elr_el1, x20
    mov     x9, #0x3c0                 // SPSR: EL0t, DAIF masked
    msr     spsr_el1, x9
    mov     x0, x19
    adr     x30, rumpk_el0_return
    mov     x1, xzr
    mov     x2, xzr
    mov     x3, xzr
    mov     x4, xzr
    mov     x5, xzr
    mov     x6, xzr
    mov     x7, xzr
    mov     x8, xzr
    mov     x9, xzr
    mov     x10, xzr
    mov     x11, xzr
    mov     x12, xzr
    mov     x13, xzr
    mov     x14, xzr
    mov     x15, xzr
    mov     x16, xzr
    mov     x17, xzr
    mov     x18, xzr
    mov     x19, xzr
    mov     x20, xzr
    mov     x21, xzr
    mov     x22, xzr
    mov     x23, xzr
    mov     x24, xzr
    mov     x25, xzr
    mov     x26, xzr
    mov     x27, xzr
    mov     x28, xzr
    mov     x29, xzr
    eret
