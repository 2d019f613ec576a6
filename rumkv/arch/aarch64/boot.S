// Rumkv entry on aarch64. The image starts with an arm64 Linux "Image" header so that QEMU (and
// libvirt's <kernel>/<initrd>) boots it the way it boots Linux: loaded at RAM base + text_offset
// (0x40000000 + 0x30000000 = the link address), the initrd (the cell bundle) loaded and named in
// /chosen, x0 = the DTB. QEMU loads an ELF kernel without its initrd, so the bootable file is the
// flat rumkv-aarch64.bin; the ELF is for symbols and sizes.
//
// Assumes: the boot CPU, entered at EL2 with the MMU off (QEMU virt with virtualization=on), x0 =
// DTB address or 0. Guarantees: rumkv_main runs at EL2 on SP_EL2 at the top of the Rumkv stack,
// .bss zeroed, exception vectors installed, FP/SIMD not trapped, x0 = the loader's x0, x1 =
// CNTPCT_EL0 read at the first instruction, x2 = the exception level we were entered at
// (rumkv_main refuses anything but 2). A copy loaded anywhere but its link address stops at once.
    .section .text.boot, "ax"
    .global _start
_start:
    b       rumkv_entry                // code0
    .long   0                          // code1
    .quad   0x30000000                 // text_offset from the 2 MiB-aligned RAM base (0x40000000)
    .quad   __rumkv_size               // image_size, including bss, page pool and stack
    .quad   0x2                        // flags: little-endian, 4 KiB pages
    .quad   0, 0, 0                    // res2-res4
    .ascii  "ARM\x64"                 // magic
    .long   0                          // res5

rumkv_entry:
    mrs     x21, cntpct_el0            // boot timestamp, for the boot-to-cell measurement
    mov     x19, x0                    // the loader's DTB pointer (0 for an ELF on QEMU)
    adr     x9, _start                 // not position independent: refuse to run elsewhere
    ldr     x10, =_start
    cmp     x9, x10
1:  b.ne    1b
    mrs     x20, CurrentEL
    lsr     x20, x20, #2
    and     x20, x20, #3
    ldr     x0, =__stack_top
    mov     sp, x0
    cmp     x20, #2
    b.ne    2f                         // not EL2: rumkv_main reports it with the fallback UART
    ldr     x0, =rumkv_vectors
    msr     vbar_el2, x0
    mov     x0, #0x33ff                // CPTR_EL2: RES1 bits, TFP = 0 (no FP/SIMD trap)
    msr     cptr_el2, x0
    isb
2:  ldr     x0, =__bss_start
    ldr     x1, =__bss_end
3:  cmp     x0, x1
    b.hs    4f
    str     xzr, [x0], #8
    b       3b
4:  mov     x0, x19
    mov     x1, x21
    mov     x2, x20
    bl      rumkv_main
5:  wfi
    b       5b
