// The M-mode entry shim for booting without SBI firmware (QEMU -bios none; docs/decisions/A1).
// QEMU's reset code jumps to 0x80000000 with a0 = hart id, a1 = DTB, a2 = its fw_dynamic_info, whose
// next_addr is the image's entry; rumpkctl loads two instructions there, `ld t0, 16(a2)` and
// `jalr zero, 8(t0)`, so every hart lands on _start_m (boot.S) in M-mode. The shim gives S-mode the
// machine: every exception but ecall from S and M, and the S interrupts, delegated; one PMP entry
// (NAPOT, everything, RWX) so S and U may access memory at all; mcounteren for time/cycle/instret;
// menvcfg.STCE so the kernel's stimecmp (Sstc) works; then mret to the S-mode path with satp Bare.
// M-mode interrupts stay off. What S-mode may still ask of M-mode (an ecall, rumpk_sbi) gets a
// minimal SBI: the base extension answers success with value 0 (every probe: "not available", so
// the kernel takes stimecmp or polls), SRST ends the machine through QEMU virt's sifive test device
// (below), every other extension SBI_ERR_NOT_SUPPORTED. Power-off goes first through the test device
// the tree names, as under OpenSBI. Lives on the image's kernel-only first page.
    .section .text.trap, "ax"
    .global rumpk_m_entry
rumpk_m_entry:
    la      t0, rumpk_m_trap
    csrw    mtvec, t0
    li      t0, 0xB1FF                 // medeleg: exceptions 0-8, 12, 13, 15
    csrw    medeleg, t0
    li      t0, 0x222                  // mideleg: SSIP, STIP, SEIP
    csrw    mideleg, t0
    csrw    mie, zero
    li      t0, 7                      // mcounteren: CY, TM, IR
    csrw    mcounteren, t0
    li      t0, -1                     // pmpaddr0: NAPOT over the whole address space
    csrw    pmpaddr0, t0
    li      t0, 0x1F                   // pmpcfg0 entry 0: A = NAPOT, R W X
    csrw    pmpcfg0, t0
    li      t0, 1
    slli    t0, t0, 63
    csrs    0x30a, t0                  // menvcfg.STCE (a hart without menvcfg traps: skipped)
    csrw    satp, zero
    li      t0, 0x1800                 // mstatus.MPP = S
    csrc    mstatus, t0
    li      t0, 0x800
    csrs    mstatus, t0
    la      t0, rumpk_s_entry_from_m
    csrw    mepc, t0
    mret

// M-mode trap vector (direct). t0 is saved in mscratch for the few instructions that need it.
    .balign 4
rumpk_m_trap:
    csrrw   t0, mscratch, t0
    csrr    t0, mcause
    addi    t0, t0, -9
    beqz    t0, 2f                     // ecall from S-mode: the minimal SBI
    csrr    t0, mstatus
    srli    t0, t0, 11
    andi    t0, t0, 3
    addi    t0, t0, -3
    bnez    t0, 4f
1:  csrr    t0, mepc                   // from M-mode itself (a CSR the hart lacks): skip it, or
    addi    t0, t0, 4                  // the ecall answered below: return past it
    csrw    mepc, t0
    csrrw   t0, mscratch, t0
    mret
2:  li      t0, 0x10
    beq     a7, t0, 5f
    li      t0, 0x53525354
    beq     a7, t0, 6f                 // SRST
3:  li      a0, -2                     // SBI_ERR_NOT_SUPPORTED
    j       1b
5:  li      a0, 0                      // base extension: success, value 0
    li      a1, 0
    j       1b
// SRST system_reset (a0 type, a1 reason): the last resort of Power.off when the tree named no usable
// test device. -bios none boots only on QEMU virt (it needs QEMU's reset vector), so the shim writes
// QEMU virt's sifive test device at 0x100000: 0x5555 for reason 0, 0x3333 | (reason & 0xFFFF) << 16
// for the vendor reason 0xF000_0000 | code the kernel passes. A store that faults (no device there)
// is skipped like any M-mode fault above; the call then answers SBI_ERR_FAILED.
6:  li      t0, 0x5555
    beqz    a1, 7f
    slli    a1, a1, 48
    srli    a1, a1, 32
    li      t0, 0x3333
    or      t0, t0, a1
7:  li      a1, 0x100000
    sw      t0, 0(a1)
    li      a0, -1                     // SBI_ERR_FAILED: still running
    li      a1, 0
    j       1b
// Anything else cannot reach M-mode: end the machine as a fault (code 71, as the kernel's own
// exception path) through the same device, else stop this hart.
4:  li      t0, 0x00473333
    li      a1, 0x100000
    sw      t0, 0(a1)
8:  wfi
    j       8b
