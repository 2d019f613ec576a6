// S-mode trap vector (stvec, direct mode) and the ways into U-mode (docs/decisions/K6-el0-npls.md).
//
// sscratch is 0 while the hart is in S-mode and the running fiber's kernel stack top while it is in
// U-mode (that stack is empty then). The entry swaps sp with sscratch: a 0 means the trap came from
// S-mode, and sp is swapped back.
//
// From S-mode: saves the caller-saved registers, sepc and sstatus on the current stack (frame of
// 18 u64, 144 bytes: ra, t0-t2, a0-a7, t3-t6, sepc, sstatus), calls rumpk_trap(scause, frame) and
// returns with sret. The handler may change the saved sepc (frame[16]).
//
// From U-mode, an ecall (scause 8, checked here): a syscall, the fast path. The SysTable stubs are
// called as C functions, so only ra, sp, gp and tp are kept (in the frame on the fiber's kernel
// stack); satp switches to the kernel view and rumpk_syscall(a0, a1, a2, a3, number = a7) runs with
// the caller's argument registers as they are (Exceptions.swift; it may switch fibers, which leaves
// this frame waiting on this fiber's kernel stack). Then the U-mode view is loaded again, the
// caller-saved registers are cleared (never restored: no kernel value reaches U-mode) and sret
// returns to ra with the result in a0.
//
// From U-mode, anything else (an interrupt, a fault): the frame (22 u64, 176 bytes: the 18 above,
// then the user sp, gp, tp and a pad) goes on the fiber's kernel stack, satp switches to the kernel
// view, rumpk_trap(scause, frame) runs, then the U-mode view is loaded again and sret returns to
// U-mode with every register restored. Callee-saved registers (s0-s11) are the Swift handler's to
// keep on both paths, and a fiber switch inside it keeps them on the kernel stack
// (rumpk_context_switch). Kernel code never uses tp (no TLS), so it keeps whatever U-mode left.
//
// All of this lives in .text.trap, on the image's first page, which is S-only executable in both
// page-table views: S-mode can never execute a page with U = 1.
    .section .text.trap, "ax"
    .balign 4
    .global rumpk_trap_entry
rumpk_trap_entry:
    csrrw   sp, sscratch, sp
    bnez    sp, rumpk_trap_from_user
    csrrw   sp, sscratch, sp
    addi    sp, sp, -144
    sd      ra, 0(sp)
    sd      t0, 8(sp)
    sd      t1, 16(sp)
    sd      t2, 24(sp)
    sd      a0, 32(sp)
    sd      a1, 40(sp)
    sd      a2, 48(sp)
    sd      a3, 56(sp)
    sd      a4, 64(sp)
    sd      a5, 72(sp)
    sd      a6, 80(sp)
    sd      a7, 88(sp)
    sd      t3, 96(sp)
    sd      t4, 104(sp)
    sd      t5, 112(sp)
    sd      t6, 120(sp)
    csrr    t0, sepc
    sd      t0, 128(sp)
    csrr    t1, sstatus
    sd      t1, 136(sp)
    csrr    a0, scause
    mv      a1, sp
    call    rumpk_trap
    ld      t0, 128(sp)
    csrw    sepc, t0
    ld      t1, 136(sp)
    csrw    sstatus, t1
    ld      ra, 0(sp)
    ld      t0, 8(sp)
    ld      t1, 16(sp)
    ld      t2, 24(sp)
    ld      a0, 32(sp)
    ld      a1, 40(sp)
    ld      a2, 48(sp)
    ld      a3, 56(sp)
    ld      a4, 64(sp)
    ld      a5, 72(sp)
    ld      a6, 80(sp)
    ld      a7, 88(sp)
    ld      t3, 96(sp)
    ld      t4, 104(sp)
    ld      t5, 112(sp)
    ld      t6, 120(sp)
    addi    sp, sp, 144
    sret

// Loads satp from rumpk_trap_words[\slot] (0: kernel view, 1: U-mode view), with an sfence.vma when
// the hart has no ASIDs (word 2). Clobbers \a and \b.
    .macro  load_view slot, a, b
    la      \a, rumpk_trap_words
    ld      \b, (8 * \slot)(\a)
    csrw    satp, \b
    ld      \b, 16(\a)
    beqz    \b, 9f
    sfence.vma zero, zero
9:
    .endm

rumpk_trap_from_user:
    addi    sp, sp, -176
    sd      gp, 152(sp)
    csrr    gp, scause
    addi    gp, gp, -8
    bnez    gp, rumpk_trap_from_user_other
    // ecall from U-mode: a syscall. The stubs (ecall.S) are called as C functions, so only what the
    // psABI makes callee-saved must survive the call: sp, gp, tp, s0-s11 (rumpk_syscall keeps
    // those) — plus ra, where the call returns. a0-a3 (arguments) and a7 (number) are still live:
    // they go to rumpk_syscall in registers, nothing is copied to or from the frame. The syscall
    // returns straight to ra (sepc = ra), which is what the stub's `ret` after the ecall would do.
    sd      ra, 0(sp)
    sd      tp, 160(sp)
    csrrw   tp, sscratch, zero         // the user sp; sscratch = 0: the hart is in S-mode now
    sd      tp, 144(sp)
    load_view 0, t0, t1
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    mv      a4, a7
    call    rumpk_syscall              // a0 = result; it may switch fibers and come back later
    ld      ra, 0(sp)
    csrw    sepc, ra
    li      t0, 0x120                  // sstatus.SPP = U, SPIE = 0 (a fiber switch inside the
    csrc    sstatus, t0                // handler may have left an S-mode trap's SPP behind)
    addi    t0, sp, 176
    csrw    sscratch, t0               // the kernel stack, empty again, for the next trap
    load_view 1, t0, t1
    ld      gp, 152(sp)
    ld      tp, 160(sp)
    ld      sp, 144(sp)
    // The caller-saved registers hold kernel values (possibly another fiber's, after a switch):
    // cleared, never restored (the caller expects them clobbered).
    li      t0, 0
    li      t1, 0
    li      t2, 0
    li      t3, 0
    li      t4, 0
    li      t5, 0
    li      t6, 0
    li      a1, 0
    li      a2, 0
    li      a3, 0
    li      a4, 0
    li      a5, 0
    li      a6, 0
    li      a7, 0
    sret

// Any other trap from U-mode (an interrupt, a fault): every register but s0-s11 into the frame.
rumpk_trap_from_user_other:
    sd      ra, 0(sp)
    sd      t0, 8(sp)
    sd      t1, 16(sp)
    sd      t2, 24(sp)
    sd      a0, 32(sp)
    sd      a1, 40(sp)
    sd      a2, 48(sp)
    sd      a3, 56(sp)
    sd      a4, 64(sp)
    sd      a5, 72(sp)
    sd      a6, 80(sp)
    sd      a7, 88(sp)
    sd      t3, 96(sp)
    sd      t4, 104(sp)
    sd      t5, 112(sp)
    sd      t6, 120(sp)
    csrr    t0, sepc
    sd      t0, 128(sp)
    csrr    t1, sstatus
    sd      t1, 136(sp)
    csrrw   t0, sscratch, zero         // the user sp; sscratch = 0: the hart is in S-mode now
    sd      t0, 144(sp)
    sd      tp, 160(sp)
    load_view 0, t0, t1
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    csrr    a0, scause
    mv      a1, sp
    call    rumpk_trap
    // Back to U-mode with this fiber's frame (sp points at it).
    ld      t0, 128(sp)
    csrw    sepc, t0
    ld      t1, 136(sp)
    csrw    sstatus, t1
    addi    t0, sp, 176
    csrw    sscratch, t0               // the kernel stack, empty again, for the next trap
    load_view 1, t0, t1
    ld      ra, 0(sp)
    ld      t0, 8(sp)
    ld      t1, 16(sp)
    ld      t2, 24(sp)
    ld      a0, 32(sp)
    ld      a1, 40(sp)
    ld      a2, 48(sp)
    ld      a3, 56(sp)
    ld      a4, 64(sp)
    ld      a5, 72(sp)
    ld      a6, 80(sp)
    ld      a7, 88(sp)
    ld      t3, 96(sp)
    ld      t4, 104(sp)
    ld      t5, 112(sp)
    ld      t6, 120(sp)
    ld      gp, 152(sp)
    ld      tp, 160(sp)
    ld      sp, 144(sp)
    sret

// First code of a U-mode fiber (rumpk_context_prepare_user, switch.S), in S-mode on its empty kernel
// stack with s0 = arg, s1 = entry, s2 = the user stack top: the kernel's landing work and the U-mode
// view of this fiber (rumpk_user_enter, MMU.swift), then sret to entry(arg) in U-mode with
// sp = the user stack, ra = rumpk_user_return (ecall.S) and no kernel value in any register.
    .global rumpk_user_first_entry
rumpk_user_first_entry:
    call    rumpk_user_enter
    csrw    sepc, s1
    li      t0, 0x120                  // sstatus.SPP (U-mode) and SPIE cleared
    csrc    sstatus, t0
    csrw    sscratch, sp
    mv      a0, s0
    la      ra, rumpk_user_return
    mv      sp, s2
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    load_view 1, t0, t1
    mv      tp, zero
    mv      t0, zero
    mv      t1, zero
    mv      t2, zero
    mv      a1, zero
    mv      a2, zero
    mv      a3, zero
    mv      a4, zero
    mv      a5, zero
    mv      a6, zero
    mv      a7, zero
    mv      t3, zero
    mv      t4, zero
    mv      t5, zero
    mv      t6, zero
    mv      s0, zero
    mv      s1, zero
    mv      s2, zero
    mv      s3, zero
    mv      s4, zero
    mv      s5, zero
    mv      s6, zero
    mv      s7, zero
    mv      s8, zero
    mv      s9, zero
    mv      s10, zero
    mv      s11, zero
    sret

// satp for the kernel view, satp for the U-mode view, 1 when a satp switch needs an sfence.vma
// (no ASIDs). Written by MMU.enable; S-only in both views, so U-mode can never redirect the kernel.
    .section .kernelonly, "aw", @nobits
    .balign 8
    .global rumpk_trap_words
rumpk_trap_words:
    .zero   24
