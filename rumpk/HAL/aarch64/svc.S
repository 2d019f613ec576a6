// The SysTable entry points for NPLs at EL0 (docs/decisions/K6-el0-npls.md): entry n is
// `svc #n; ret`, called as a C function (arguments x0-x3, result x0). The lower-EL synchronous
// vector reads n from ESR_EL1.ISS and calls SyscallDispatch.dispatch. rumpk_el0_return is where an
// EL0 fiber's entry function returns to: `svc #0x100` ends the fiber. The section is a page of its
// own (link.ld): the only kernel text EL0 may execute (K9).
    .section .user_stubs, "ax"
    .balign 8
    .global rumpk_svc_stubs
rumpk_svc_stubs:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    svc     #\n
    ret
    .endr

    .global rumpk_el0_return
rumpk_el0_return:
    svc     #0x100
    b       rumpk_el0_return
