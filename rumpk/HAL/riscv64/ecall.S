// The SysTable entry points for NPLs in U-mode (docs/decisions/K6-el0-npls.md): entry n is
// `li a7, n; ecall; ret` in 16 bytes, called as a C function (arguments a0-a3, result a0; a7 is
// caller-saved, so the stub may use it). The trap path (trap.S) passes n (a7) and a0-a3 to
// rumpk_syscall and returns straight to ra, so the `ret` is not executed (it is what the return
// does). rumpk_user_return is where a U-mode fiber's entry function returns to:
// call 0x100 ends the fiber. The section is a page of its own (link.ld): the only kernel text
// U-mode may execute (K9).
    .section .user_stubs, "ax"
    .option push
    .option norvc
    .balign 16
    .global rumpk_ecall_stubs
rumpk_ecall_stubs:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    .balign 16
    li      a7, \n
    ecall
    ret
    .endr

    .balign 16
    .global rumpk_user_return
rumpk_user_return:
    li      a7, 0x100
    ecall
    j       rumpk_user_return
    .option pop
