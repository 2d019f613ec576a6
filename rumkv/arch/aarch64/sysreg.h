// aarch64 EL2 system registers, barriers and the few instructions Rumkv needs, for Swift, which has
// no inline assembly. Every function is a single instruction (or a tiny fixed sequence).
#ifndef RUMKV_AARCH64_SYSREG_H
#define RUMKV_AARCH64_SYSREG_H
#include <stdint.h>

#define RUMKV_SYSREG(name)                                                         \
  static inline uint64_t read_##name(void) {                                       \
    uint64_t v; __asm__ volatile("mrs %0, " #name : "=r"(v)); return v; }          \
  static inline void write_##name(uint64_t v) {                                    \
    __asm__ volatile("msr " #name ", %0" ::"r"(v) : "memory"); }

RUMKV_SYSREG(CurrentEL)
RUMKV_SYSREG(cntpct_el0)
RUMKV_SYSREG(cntfrq_el0)
RUMKV_SYSREG(cnthctl_el2)
RUMKV_SYSREG(cntvoff_el2)
RUMKV_SYSREG(hcr_el2)
RUMKV_SYSREG(vtcr_el2)
RUMKV_SYSREG(vttbr_el2)
RUMKV_SYSREG(esr_el2)
RUMKV_SYSREG(far_el2)
RUMKV_SYSREG(hpfar_el2)
RUMKV_SYSREG(elr_el2)
RUMKV_SYSREG(spsr_el2)
RUMKV_SYSREG(cptr_el2)
RUMKV_SYSREG(mdcr_el2)
RUMKV_SYSREG(vpidr_el2)
RUMKV_SYSREG(vmpidr_el2)
RUMKV_SYSREG(midr_el1)
RUMKV_SYSREG(mpidr_el1)
RUMKV_SYSREG(sctlr_el1)
RUMKV_SYSREG(id_aa64mmfr0_el1)

static inline void rumkv_isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void rumkv_dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void rumkv_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

// Invalidates all stage-1 and stage-2 TLB entries of the VMID in VTTBR_EL2, inner shareable.
static inline void rumkv_tlbi_vmalls12e1is(void) {
  __asm__ volatile("dsb ishst\n tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
}

// SMC to the firmware (QEMU's built-in PSCI at EL3 or emulated): function in x0, returns x0.
static inline int64_t rumkv_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
  __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
  return (int64_t)x0;
}

// Arm semihosting (HLT #0xF000): op in x0, parameter block in x1. Only used when the board's
// /chosen/bootargs say the host enabled it, since otherwise HLT is undefined.
static inline uint64_t rumkv_semihost(uint64_t op, const void *block) {
  register uint64_t x0 __asm__("x0") = op;
  register const void *x1 __asm__("x1") = block;
  __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return x0;
}

// Linker-script symbols: Rumkv's own footprint and its page pool.
extern char __rumkv_start[], __rumkv_end[], __pool_start[], __pool_end[], __stack_top[];
static inline uintptr_t rumkv_image_start(void) { return (uintptr_t)__rumkv_start; }
static inline uintptr_t rumkv_image_end(void) { return (uintptr_t)__rumkv_end; }
static inline uintptr_t rumkv_pool_start(void) { return (uintptr_t)__pool_start; }
static inline uintptr_t rumkv_pool_end(void) { return (uintptr_t)__pool_end; }
static inline uintptr_t rumkv_stack_top(void) { return (uintptr_t)__stack_top; }

// vectors.S: enters the cell at EL1h (DAIF masked) at `entry` with x0 = `dtb`, all other general
// registers zero, SP_EL2 reset to `stack_top`. Does not return; traps come back through the vectors.
void rumkv_enter_cell(uint64_t entry, uint64_t dtb, uint64_t stack_top) __attribute__((noreturn));
#endif
