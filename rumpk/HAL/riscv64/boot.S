// Rumpk cell entry on riscv64. Two entries, at fixed offsets:
//   _start      (+0) S-mode, entered by SBI firmware (OpenSBI, QEMU's -bios default) or by Rumkv as a
//                    VS-mode guest: a0 = hart id, a1 = DTB address, MMU off.
//   _start_m    (+8) M-mode, with no firmware (QEMU -bios none: the reset trampoline rumpkctl loads at
//                    0x80000000 jumps here, mshim.S): a0 = hart id, a1 = DTB; the shim sets up
//                    delegation, PMP, counters and Sstc, then enters the S-mode path below.
// Guarantees: rumpk_main runs in S-mode on the boot stack with .kbss and .bss zeroed, the mode word
// 0 (link.ld: kernel code runs, Runtime/Heap.swift), tp = 0, a0 = DTB, a1 = hart id,
// a2 = the mode the image was entered in (1 = S, 3 = M), sscratch = 0 (the trap path's "in S-mode",
// trap.S) and stvec on the trap vector. Other harts park (SMP arrives with per-core schedulers).
    .section .text.boot, "ax"
    .option push
    .option norvc
    .global _start
_start:
    li      s2, 1
    j       rumpk_s_entry
    .global _start_m
_start_m:
    j       rumpk_m_entry
    .option pop

    .global rumpk_s_entry_from_m
rumpk_s_entry_from_m:
    li      s2, 3
rumpk_s_entry:
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
    mv      tp, zero                   // firmware may leave its own value here
    la      t0, rumpk_mode_word
    sd      zero, 0(t0)
    la      t0, __kbss_start           // kernel bss (S-only in the U-mode view), then the NPL bss
    la      t1, __kbss_end
4:  bgeu    t0, t1, 5f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       4b
5:  la      t0, __npl_bss_load         // the NPL bss where it is loaded (window A is not mapped yet)
    la      t1, __npl_bss_load_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  mv      s0, a0
    mv      a0, a1
    mv      a1, s0
    mv      a2, s2
    call    rumpk_main
3:  wfi
    j       3b

    .section .data
    .align 2
__boot_hart:
    .word -1
