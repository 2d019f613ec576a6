// EL1 exception vectors. Every entry saves the interrupted context and calls
// rumpk_exception(kind, frame); kind = vector index (0-15: current EL SP0/SPx, lower EL A64/A32;
// each sync, irq, fiq, serror). The frame layout is x0-x30, elr, spsr, sp_el0 (34 u64, 272 bytes);
// the x19-x28 slots stay unwritten: those registers are callee-saved, so rumpk_exception preserves
// them, and a fiber switch inside it keeps them on the fiber's kernel stack (rumpk_context_switch).
// An exception from EL0 lands on SP_EL1, which is the running fiber's kernel stack (empty while the
// fiber runs at EL0), so the frame lives there and a handler may switch fibers before it returns:
// every fiber's frame, SP_EL0 included, waits on its own kernel stack (docs/decisions/K6-el0-npls.md).
    .macro ventry kind
    .balign 0x80
    sub     sp, sp, #272
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       rumpk_vector_common
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global rumpk_vectors
rumpk_vectors:
    ventry 0
    ventry 1
    ventry 2
    ventry 3
    ventry 4
    ventry 5
    ventry 6
    ventry 7
    ventry 8
    ventry 9
    ventry 10
    ventry 11
    ventry 12
    ventry 13
    ventry 14
    ventry 15

rumpk_vector_common:
    msr     tpidrro_el0, xzr           // kernel code runs now (MMU.enterUser sets it again for EL0)
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    str     x18, [sp, #144]
    str     x29, [sp, #232]
    mrs     x9, elr_el1
    stp     x30, x9, [sp, #240]
    mrs     x9, spsr_el1
    mrs     x10, sp_el0
    stp     x9, x10, [sp, #256]
    mov     x1, sp
    bl      rumpk_exception
    ldp     x9, x10, [sp, #256]
    msr     spsr_el1, x9
    msr     sp_el0, x10
    ldp     x30, x9, [sp, #240]
    msr     elr_el1, x9
    ldr     x29, [sp, #232]
    ldr     x18, [sp, #144]
    ldp     x16, x17, [sp, #128]
    ldp     x14, x15, [sp, #112]
    ldp     x12, x13, [sp, #96]
    ldp     x10, x11, [sp, #80]
    ldp     x8, x9, [sp, #64]
    ldp     x6, x7, [sp, #48]
    ldp     x4, x5, [sp, #32]
    ldp     x2, x3, [sp, #16]
    ldp     x0, x1, [sp, #0]
    add     sp, sp, #272
    eret
