// S-mode trap vector (stvec, direct mode). Saves the caller-saved registers, sepc and sstatus on the
// current stack, calls rumpk_trap(scause, frame) and returns with sret. Frame (18 u64, 144 bytes):
// ra, t0-t2, a0-a7, t3-t6, sepc, sstatus; the handler may change the saved sepc (frame[16]).
// Callee-saved registers are the Swift handler's to keep; gp never changes after boot.S, tp is unused.
    .section .text.trap, "ax"
    .balign 4
    .global rumpk_trap_entry
rumpk_trap_entry:
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
