// aarch64 system registers and barriers for Swift, which has no inline assembly.
#ifndef RUMPK_AARCH64_SYSREG_H
#define RUMPK_AARCH64_SYSREG_H
#include <stdint.h>

#define RUMPK_SYSREG(name)                                                         \
  static inline uint64_t read_##name(void) {                                       \
    uint64_t v; __asm__ volatile("mrs %0, " #name : "=r"(v)); return v; }          \
  static inline void write_##name(uint64_t v) {                                    \
    __asm__ volatile("msr " #name ", %0" ::"r"(v)); }

RUMPK_SYSREG(CurrentEL)
RUMPK_SYSREG(cntvct_el0)
RUMPK_SYSREG(cntfrq_el0)
RUMPK_SYSREG(cntv_cval_el0)
RUMPK_SYSREG(cntv_ctl_el0)
RUMPK_SYSREG(mpidr_el1)
RUMPK_SYSREG(esr_el1)
RUMPK_SYSREG(far_el1)
RUMPK_SYSREG(elr_el1)
RUMPK_SYSREG(vbar_el1)
RUMPK_SYSREG(daif)
RUMPK_SYSREG(id_aa64mmfr0_el1)
RUMPK_SYSREG(sctlr_el1)
RUMPK_SYSREG(tpidrro_el0)


// Turns stage-1 translation and the caches on with the given MAIR, TCR and TTBR0 (EL1), or, with
// the MMU already on, moves to new tables (same MAIR and TCR; the TLB is flushed after the TTBR0
// write). Assumes the tables are written and the code calling this is identity-mapped in both.
// SCTLR: M, C, I on; A (alignment check) off.
static inline void rumpk_mmu_on(uint64_t mair, uint64_t tcr, uint64_t ttbr0) {
  __asm__ volatile(
      "dsb ish\n tlbi vmalle1\n dsb ish\n isb\n"
      "msr mair_el1, %0\n msr tcr_el1, %1\n msr ttbr0_el1, %2\n isb\n tlbi vmalle1\n dsb ish\n isb\n"
      "mrs x9, sctlr_el1\n orr x9, x9, #(1 << 0)\n orr x9, x9, #(1 << 2)\n orr x9, x9, #(1 << 12)\n"
      "bic x9, x9, #(1 << 1)\n msr sctlr_el1, x9\n isb\n ic iallu\n dsb ish\n isb"
      :: "r"(mair), "r"(tcr), "r"(ttbr0) : "x9", "memory");
}

// GICv3 CPU interface (ICC_*), by encoding so no assembler's name table matters. Callers add
// rumpk_isb() where the architecture asks for one (after SRE, PMR, IGRPEN1).
#define RUMPK_SYSREG_ENC(name, enc)                                                \
  static inline uint64_t read_##name(void) {                                       \
    uint64_t v; __asm__ volatile("mrs %0, " #enc : "=r"(v) :: "memory"); return v; } \
  static inline void write_##name(uint64_t v) {                                    \
    __asm__ volatile("msr " #enc ", %0" ::"r"(v) : "memory"); }
RUMPK_SYSREG_ENC(icc_sre_el1, s3_0_c12_c12_5)
RUMPK_SYSREG_ENC(icc_pmr_el1, s3_0_c4_c6_0)
RUMPK_SYSREG_ENC(icc_bpr1_el1, s3_0_c12_c12_3)
RUMPK_SYSREG_ENC(icc_ctlr_el1, s3_0_c12_c12_4)
RUMPK_SYSREG_ENC(icc_igrpen1_el1, s3_0_c12_c12_7)
RUMPK_SYSREG_ENC(icc_iar1_el1, s3_0_c12_c12_0)
RUMPK_SYSREG_ENC(icc_eoir1_el1, s3_0_c12_c12_1)

static inline void rumpk_isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void rumpk_dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void rumpk_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
// PSTATE.I: IRQs are masked everywhere in the kernel except inside rumpk_platform_wait.
static inline void rumpk_irq_unmask(void) { __asm__ volatile("msr daifclr, #2\n isb" ::: "memory"); }
static inline void rumpk_irq_mask(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

// PSCI call through the conduit the device tree names (hvc or smc). Returns x0.
static inline int64_t rumpk_psci_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
  __asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
  return (int64_t)x0;
}
static inline int64_t rumpk_psci_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  register uint64_t x0 __asm__("x0") = fn, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
  __asm__ volatile("smc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
  return (int64_t)x0;
}


// Linker-script symbols.
extern char __text_end[];
extern char __data_start[];
static inline uintptr_t rumpk_text_end(void) { return (uintptr_t)__text_end; }
static inline uintptr_t rumpk_data_start(void) { return (uintptr_t)__data_start; }
extern char __heap_start[];
extern char __image_start[];
static inline uintptr_t rumpk_heap_start(void) { return (uintptr_t)__heap_start; }
static inline uintptr_t rumpk_image_start(void) { return (uintptr_t)__image_start; }
extern char __page_tables[];
static inline uintptr_t rumpk_page_tables(void) { return (uintptr_t)__page_tables; }
extern char __page_tables_end[];
static inline uintptr_t rumpk_page_tables_end(void) { return (uintptr_t)__page_tables_end; }
// The kernel-private heap (.kheap, EL1 only) and the end of rodata (what EL0 may read of the image).
extern char __kheap_start[], __kheap_end[], __rodata_end[], __kdata_start[];
static inline uintptr_t rumpk_kheap_start(void) { return (uintptr_t)__kheap_start; }
static inline uintptr_t rumpk_kheap_end(void) { return (uintptr_t)__kheap_end; }
static inline uintptr_t rumpk_rodata_end(void) { return (uintptr_t)__rodata_end; }
static inline uintptr_t rumpk_kdata_start(void) { return (uintptr_t)__kdata_start; }
// The NPL image (K9-npl-windows.md): linked at window A, loaded at __npl_load; the NPL heap
// follows it (__heap_start in window A, __heap_load where it is in RAM).
extern char __npl_load[], __npl_text_start[], __npl_text_end[], __npl_rodata_end[], __heap_load[], __bss_end[];
static inline uintptr_t rumpk_npl_bss_end(void) { return (uintptr_t)__bss_end; }
extern char __user_stubs_start[], __got_start[];
static inline uintptr_t rumpk_user_stubs_start(void) { return (uintptr_t)__user_stubs_start; }
static inline uintptr_t rumpk_got_start(void) { return (uintptr_t)__got_start; }
static inline uintptr_t rumpk_npl_load(void) { return (uintptr_t)__npl_load; }
static inline uintptr_t rumpk_npl_text_start(void) { return (uintptr_t)__npl_text_start; }
static inline uintptr_t rumpk_npl_text_end(void) { return (uintptr_t)__npl_text_end; }
static inline uintptr_t rumpk_npl_rodata_end(void) { return (uintptr_t)__npl_rodata_end; }
static inline uintptr_t rumpk_heap_load(void) { return (uintptr_t)__heap_load; }
extern char __stack_bottom[];
static inline uintptr_t rumpk_stack_bottom(void) { return (uintptr_t)__stack_bottom; }
// The EL0 SysTable entry points (svc.S): entry n at rumpk_svc_stubs + 8n.
extern char rumpk_svc_stubs[];
static inline uintptr_t rumpk_svc_stubs_address(void) { return (uintptr_t)rumpk_svc_stubs; }

// Replaces a live level-2 entry (a 2 MiB block) by `entry` (a table with the same output and
// attributes), break-before-make: invalid, TLB entries for the block's VA gone, then the new entry.
// All in one asm block so nothing between the two stores touches memory (the block may hold the
// caller's stack).
static inline void rumpk_l2_replace(uint64_t *slot, uint64_t entry, uint64_t va) {
  __asm__ volatile("str xzr, [%0]\n dsb ishst\n tlbi vaae1, %2\n dsb ish\n isb\n str %1, [%0]\n dsb ishst\n isb"
                   :: "r"(slot), "r"(entry), "r"(va >> 12) : "memory");
}
// Loads TTBR0_EL1 (table address | ASID << 48) and resynchronises. No TLB maintenance: entries of
// other ASIDs stay and do not match (docs/decisions/K6-el0-npls.md).
static inline void rumpk_set_ttbr0(uint64_t value) {
  __asm__ volatile("msr ttbr0_el1, %0\n isb" :: "r"(value) : "memory");
}
// After rewriting the tables of an ASID that is not live: make the stores visible to the walker and
// drop every TLB entry tagged with that ASID.
static inline void rumpk_tlbi_asid(uint64_t asid) {
  __asm__ volatile("dsb ishst\n tlbi aside1, %0\n dsb ish\n isb" :: "r"(asid << 48) : "memory");
}

// After changing live page-table entries: make the stores visible to the walker, drop every
// stage-1 TLB entry of this CPU, and resynchronise.
static inline void rumpk_tlb_flush(void) {
  __asm__ volatile("dsb ishst\n tlbi vmalle1\n dsb ish\n isb" ::: "memory");
}
#endif
