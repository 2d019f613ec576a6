// Fiber context switch, riscv64 (LP64, integer-only build): ra, s0-s11 and sp are callee-saved.
// void rumpk_context_switch(void **from_sp, void *to_sp)
    .text
    .global rumpk_context_switch
rumpk_context_switch:
    addi    sp, sp, -112
    sd      ra, 0(sp)
    sd      s0, 8(sp)
    sd      s1, 16(sp)
    sd      s2, 24(sp)
    sd      s3, 32(sp)
    sd      s4, 40(sp)
    sd      s5, 48(sp)
    sd      s6, 56(sp)
    sd      s7, 64(sp)
    sd      s8, 72(sp)
    sd      s9, 80(sp)
    sd      s10, 88(sp)
    sd      s11, 96(sp)
    sd      sp, 0(a0)
    mv      sp, a1
    ld      ra, 0(sp)
    ld      s0, 8(sp)
    ld      s1, 16(sp)
    ld      s2, 24(sp)
    ld      s3, 32(sp)
    ld      s4, 40(sp)
    ld      s5, 48(sp)
    ld      s6, 56(sp)
    ld      s7, 64(sp)
    ld      s8, 72(sp)
    ld      s9, 80(sp)
    ld      s10, 88(sp)
    ld      s11, 96(sp)
    addi    sp, sp, 112
    ret

// void *rumpk_context_prepare(void *stack_top, void (*entry)(uint64_t), uint64_t arg)
// A frame rumpk_context_switch pops into: ra = trampoline, s0 = arg, s1 = entry, the rest zero.
    .global rumpk_context_prepare
rumpk_context_prepare:
    andi    a0, a0, -16
    addi    a0, a0, -112
    la      t0, rumpk_fiber_trampoline
    sd      t0, 0(a0)
    sd      a2, 8(a0)
    sd      a1, 16(a0)
    li      t1, 24
1:  add     t2, a0, t1
    sd      zero, 0(t2)
    addi    t1, t1, 8
    li      t3, 112
    blt     t1, t3, 1b
    ret

rumpk_fiber_trampoline:
    mv      a0, s0
    jalr    s1
    ebreak

// void *rumpk_context_prepare_user(void *stack_top, void *user_stack_top, void (*entry)(uint64_t), uint64_t arg)
// A frame for an NPL fiber in U-mode: ra = rumpk_user_first_entry (trap.S), s0 = arg, s1 = entry,
// s2 = the user stack top, the rest zero. `stack_top` is the kernel stack, where the first switch
// leaves sp; it becomes sscratch while the fiber runs in U-mode.
    .global rumpk_context_prepare_user
rumpk_context_prepare_user:
    andi    a0, a0, -16
    addi    a0, a0, -112
    la      t0, rumpk_user_first_entry
    sd      t0, 0(a0)
    sd      a3, 8(a0)
    sd      a2, 16(a0)
    andi    a1, a1, -16
    sd      a1, 24(a0)
    li      t1, 32
1:  add     t2, a0, t1
    sd      zero, 0(t2)
    addi    t1, t1, 8
    li      t3, 112
    blt     t1, t3, 1b
    ret
