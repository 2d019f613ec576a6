// Rumpk cell entry on riscv64. Assumes: S-mode (entered by OpenSBI, or by Rumkv as a VS-mode guest),
// a0 = hart id, a1 = DTB address, MMU off. Guarantees: rumpk_main runs on the boot stack with .bss
// zeroed, a0 = DTB, a1 = hart id, sscratch = 0 (the trap path's "in S-mode", trap.S) and stvec on
// the trap vector. Other harts park (SMP arrives with per-core schedulers).
    .section .text.boot, "ax"
    .global _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      t0, __boot_hart
    li      t1, -1
    amoswap.w t1, a0, (t0)            // first hart through claims the boot
    li      t2, -1
    bne     t1, t2, 3f
    la      sp, __stack_top
    csrw    sscratch, zero
    la      t0, rumpk_trap_entry
    csrw    stvec, t0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  mv      s0, a0
    mv      a0, a1
    mv      a1, s0
    call    rumpk_main
3:  wfi
    j       3b

    .section .data
    .align 2
__boot_hart:
    .word -1
