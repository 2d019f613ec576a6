// EL2 exception vectors and the cell entry. Every exception saves the interrupted context as a
// trap frame on SP_EL2 (x0-x30, ELR_EL2, SPSR_EL2: 34 slots of 8 bytes, 16-byte aligned) and calls
// rumkv_trap(frame, kind); when that returns, the (possibly modified) frame is restored and ERET
// resumes the cell. kind: 0-3 sync/irq/fiq/serror from the cell (lower EL, AArch64), 4-7 the same
// taken at EL2 itself (Rumkv's own faults), 8 anything from a lower EL in AArch32, 9 from SP_EL0.

    .equ FRAME_SIZE, 34 * 8

.macro ENTRY kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       rumkv_trap_common
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global rumkv_vectors
rumkv_vectors:
    ENTRY 9                            // current EL, SP_EL0: never used by Rumkv
    ENTRY 9
    ENTRY 9
    ENTRY 9
    ENTRY 4                            // current EL, SP_EL2: Rumkv's own exceptions
    ENTRY 5
    ENTRY 6
    ENTRY 7
    ENTRY 0                            // lower EL, AArch64: the cell
    ENTRY 1
    ENTRY 2
    ENTRY 3
    ENTRY 8                            // lower EL, AArch32: cells are AArch64 only
    ENTRY 8
    ENTRY 8
    ENTRY 8

// Assumes x0/x1 of the interrupted context are saved at [sp], x1 = kind.
rumkv_trap_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x30, x2, [sp, #240]
    str     x3, [sp, #256]
    mov     x0, sp
    bl      rumkv_trap
    ldp     x30, x2, [sp, #240]
    ldr     x3, [sp, #256]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #FRAME_SIZE
    eret

// rumkv_enter_cell(entry x0, dtb x1, stack_top x2): see sysreg.h.
    .global rumkv_enter_cell
rumkv_enter_cell:
    mov     sp, x2
    msr     elr_el2, x0
    mov     x0, #0x3c5                 // SPSR: EL1h, D, A, I, F masked
    msr     spsr_el2, x0
    mov     x0, x1
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
    mov     x30, xzr
    isb
    eret
