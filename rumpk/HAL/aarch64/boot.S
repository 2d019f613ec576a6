// Rumpk cell entry on aarch64. Assumes: started on the boot CPU at EL2 (QEMU virtualization=on, or
// Rumkv never does this) or EL1, MMU off, x0 = DTB address or 0. Guarantees: rumpk_main runs at EL1h
// with SP at the top of the boot stack, .bss and .kbss zeroed, FP/SIMD not trapped, x0 = DTB (or 0), x1 = the
// exception level the image was entered at.
    .section .text.boot, "ax"
    .global _start
_start:
    mov     x19, x0                    // DTB from the loader (0 when QEMU loads an ELF directly)
    mrs     x20, CurrentEL
    lsr     x20, x20, #2
    and     x20, x20, #3
    cmp     x20, #2
    b.ne    1f

    // EL2 -> EL1: EL1 is AArch64, no stage 2, timers and GICv3 system registers open to EL1.
    mov     x0, #(1 << 31)             // HCR_EL2.RW
    msr     hcr_el2, x0
    mov     x0, #3                     // CNTHCTL_EL2.EL1PCTEN | EL1PCEN
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mrs     x0, id_aa64pfr0_el1        // GICv3 system registers present?
    ubfx    x0, x0, #24, #4
    cbz     x0, 2f
    mov     x0, #0xf                   // ICC_SRE_EL2: SRE | Enable for EL1
    msr     s3_4_c12_c9_5, x0
2:  mov     x0, #0x33ff                // CPTR_EL2: no FP/SIMD trap
    msr     cptr_el2, x0
    msr     vttbr_el2, xzr
    ldr     x0, =0x30d00800            // SCTLR_EL1: RES1 bits, MMU and caches off
    msr     sctlr_el1, x0
    mov     x0, #0x3c5                 // SPSR: EL1h, DAIF masked
    msr     spsr_el2, x0
    adr     x0, 1f
    msr     elr_el2, x0
    isb
    eret

1:  msr     tpidrro_el0, xzr           // 0: kernel code runs (Runtime/Heap.swift picks the kernel heap)
    ldr     x0, =__stack_top
    mov     sp, x0
    ldr     x0, =rumpk_vectors
    msr     vbar_el1, x0
    mov     x0, #(3 << 20)             // CPACR_EL1.FPEN: the embedded stdlib may touch SIMD for copies
    msr     cpacr_el1, x0
    isb
    ldr     x0, =__kbss_start          // kernel bss (EL1 only), then the NPL bss
    ldr     x1, =__kbss_end
3:  cmp     x0, x1
    b.hs    4f
    str     xzr, [x0], #8
    b       3b
4:  ldr     x0, =__npl_bss_load        // the NPL bss where it is loaded (window A is not mapped yet)
    ldr     x1, =__npl_bss_load_end
6:  cmp     x0, x1
    b.hs    7f
    str     xzr, [x0], #8
    b       6b
7:  mov     x0, x19
    mov     x1, x20
    bl      rumpk_main
5:  wfi
    b       5b
