// riscv64 CSRs, SBI calls and linker symbols for Swift, which has no inline assembly.
#ifndef RUMPK_RISCV64_CSR_H
#define RUMPK_RISCV64_CSR_H
#include <stdint.h>

static inline uint64_t read_time(void) { uint64_t v; __asm__ volatile("rdtime %0" : "=r"(v)); return v; }
static inline uint64_t read_sstatus(void) { uint64_t v; __asm__ volatile("csrr %0, sstatus" : "=r"(v)); return v; }
static inline void rumpk_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void rumpk_fence(void) { __asm__ volatile("fence iorw, iorw" ::: "memory"); }

struct rumpk_sbiret { int64_t error; int64_t value; };

// SBI call (ecall from S-mode): extension in a7, function in a6, arguments a0-a2.
static inline struct rumpk_sbiret rumpk_sbi(uint64_t ext, uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2) {
  register uint64_t r0 __asm__("a0") = a0, r1 __asm__("a1") = a1, r2 __asm__("a2") = a2;
  register uint64_t r6 __asm__("a6") = fn, r7 __asm__("a7") = ext;
  __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
  struct rumpk_sbiret ret = { (int64_t)r0, (int64_t)r1 };
  return ret;
}

// Traps (trap.S, Interrupts.swift, Exceptions.swift). Interrupts stay globally off (sstatus.SIE = 0)
// everywhere but inside rumpk_platform_wait; sie selects what may end a WFI there.
#define RUMPK_CSR_RW(name, num)                                                              \
  static inline uint64_t read_##name(void) {                                               \
    uint64_t v; __asm__ volatile("csrr %0, " #num : "=r"(v) :: "memory"); return v; }      \
  static inline void write_##name(uint64_t v) { __asm__ volatile("csrw " #num ", %0" :: "r"(v) : "memory"); }
RUMPK_CSR_RW(scause, 0x142)
RUMPK_CSR_RW(sepc, 0x141)
RUMPK_CSR_RW(stval, 0x143)
RUMPK_CSR_RW(sie, 0x104)
RUMPK_CSR_RW(stvec, 0x105)
RUMPK_CSR_RW(stimecmp, 0x14D)   // Sstc: only when the hart has it and M-mode set menvcfg.STCE
RUMPK_CSR_RW(satp, 0x180)
static inline void rumpk_sie_set(uint64_t bits) { __asm__ volatile("csrs sie, %0" :: "r"(bits) : "memory"); }
static inline void rumpk_sie_clear(uint64_t bits) { __asm__ volatile("csrc sie, %0" :: "r"(bits) : "memory"); }
static inline void rumpk_sip_clear(uint64_t bits) { __asm__ volatile("csrc sip, %0" :: "r"(bits) : "memory"); }
// sstatus.SIE (bit 1). A CSR write is where an enabled pending interrupt is taken.
static inline void rumpk_irq_unmask(void) { __asm__ volatile("csrsi sstatus, 2" ::: "memory"); }
static inline void rumpk_irq_mask(void) { __asm__ volatile("csrci sstatus, 2" ::: "memory"); }
static inline uint64_t read_instret(void) { uint64_t v; __asm__ volatile("rdinstret %0" : "=r"(v)); return v; }

extern char rumpk_trap_entry[];
static inline uintptr_t rumpk_trap_vector(void) { return (uintptr_t)rumpk_trap_entry; }

extern char __text_end[];
extern char __data_start[];
static inline uintptr_t rumpk_text_end(void) { return (uintptr_t)__text_end; }
static inline uintptr_t rumpk_data_start(void) { return (uintptr_t)__data_start; }
extern char __heap_start[];
extern char __image_start[];
static inline uintptr_t rumpk_image_start(void) { return (uintptr_t)__image_start; }
static inline uintptr_t rumpk_heap_start(void) { return (uintptr_t)__heap_start; }
extern char __page_tables[];
static inline uintptr_t rumpk_page_tables(void) { return (uintptr_t)__page_tables; }
extern char __page_tables_end[];
static inline uintptr_t rumpk_page_tables_end(void) { return (uintptr_t)__page_tables_end; }
extern char __stack_bottom[];
static inline uintptr_t rumpk_stack_bottom(void) { return (uintptr_t)__stack_bottom; }
// The NPL image (K9-npl-windows.md): linked at window A, loaded at __npl_load; the NPL heap
// follows it (__heap_start in window A, __heap_load where it is in RAM).
extern char __npl_load[], __npl_text_start[], __npl_text_end[], __npl_rodata_end[], __heap_load[], __bss_end[];
static inline uintptr_t rumpk_npl_load(void) { return (uintptr_t)__npl_load; }
static inline uintptr_t rumpk_npl_text_start(void) { return (uintptr_t)__npl_text_start; }
static inline uintptr_t rumpk_npl_text_end(void) { return (uintptr_t)__npl_text_end; }
static inline uintptr_t rumpk_npl_rodata_end(void) { return (uintptr_t)__npl_rodata_end; }
static inline uintptr_t rumpk_npl_bss_end(void) { return (uintptr_t)__bss_end; }
extern char __user_stubs_start[], __got_start[];
static inline uintptr_t rumpk_user_stubs_start(void) { return (uintptr_t)__user_stubs_start; }
static inline uintptr_t rumpk_got_start(void) { return (uintptr_t)__got_start; }
static inline uintptr_t rumpk_heap_load(void) { return (uintptr_t)__heap_load; }
// Kernel-private data (link.ld, docs/decisions/K6-el0-npls.md): the kernel heap (.kheap) and the
// first kernel data word, both S-only in the U-mode view.
extern char __kheap_start[], __kheap_end[], __kdata_start[];
static inline uintptr_t rumpk_kheap_start(void) { return (uintptr_t)__kheap_start; }
static inline uintptr_t rumpk_kheap_end(void) { return (uintptr_t)__kheap_end; }
static inline uintptr_t rumpk_kdata_start(void) { return (uintptr_t)__kdata_start; }
// The mode word (link.ld): 0 in the kernel view and with the MMU off, 1 in the U-mode view, whose
// entry for its page points at __mode_user_page (MMU.swift). Which view is loaded says who runs:
// S-mode runs Swift code only on the kernel view, U-mode only on the U-mode view.
// (Declared as a word array: as a char array the load would be split into bytes, no alignment known.)
extern volatile uint64_t rumpk_mode_word[];
extern char __mode_user_page[];
static inline uint64_t rumpk_read_mode_word(void) { return rumpk_mode_word[0]; }
static inline uintptr_t rumpk_mode_word_address(void) { return (uintptr_t)rumpk_mode_word; }
static inline uintptr_t rumpk_mode_user_page(void) { return (uintptr_t)__mode_user_page; }

// Sv39 (MMU.swift, docs/decisions/K6-el0-npls.md). The U-mode SysTable entry points (ecall.S):
// entry n at rumpk_ecall_stubs + 16n.
extern char rumpk_ecall_stubs[];
static inline uintptr_t rumpk_ecall_stubs_address(void) { return (uintptr_t)rumpk_ecall_stubs; }
// What the trap path (trap.S) loads into satp for the kernel and the U-mode view, and whether a
// switch between them needs an sfence.vma (a hart without ASIDs). S-only memory.
extern uint64_t rumpk_trap_words[3];
static inline void rumpk_set_trap_words(uint64_t kernel, uint64_t user, uint64_t fence) {
  rumpk_trap_words[0] = kernel; rumpk_trap_words[1] = user; rumpk_trap_words[2] = fence;
}
// The U-mode view the trap path loads on the way out (the running fiber's; MMU.resync).
static inline void rumpk_set_user_satp(uint64_t user) { rumpk_trap_words[1] = user; }
// Loads satp and drops every cached translation (all ASIDs). Assumes the code calling it is mapped
// executable for S-mode in the new view.
static inline void rumpk_satp_load(uint64_t satp) {
  __asm__ volatile("csrw satp, %0\n sfence.vma zero, zero" :: "r"(satp) : "memory");
}
// After changing live page-table entries: order the stores before later walks, drop cached ones.
static inline void rumpk_tlb_flush(void) { __asm__ volatile("sfence.vma zero, zero" ::: "memory"); }
// Page-table fills (MMU.swift), eight entries per iteration, in asm so the compiler neither turns
// them into memset calls nor re-rolls them. Assume p <= end, (end - p) a multiple of 8 entries.
// rumpk_fill_entries writes e, e + d, e + 2d, ... and returns the next value.
static inline void rumpk_zero_entries(uint64_t *p, uint64_t *end) {
  for (; p < end; p += 8)
    __asm__ volatile("sd zero, 0(%0)\n sd zero, 8(%0)\n sd zero, 16(%0)\n sd zero, 24(%0)\n"
                     "sd zero, 32(%0)\n sd zero, 40(%0)\n sd zero, 48(%0)\n sd zero, 56(%0)"
                     :: "r"(p) : "memory");
}
static inline uint64_t rumpk_fill_entries(uint64_t *p, uint64_t *end, uint64_t e, uint64_t d) {
  for (; p < end; p += 8)
    __asm__ volatile("sd %0, 0(%1)\n add %0, %0, %2\n sd %0, 8(%1)\n add %0, %0, %2\n"
                     "sd %0, 16(%1)\n add %0, %0, %2\n sd %0, 24(%1)\n add %0, %0, %2\n"
                     "sd %0, 32(%1)\n add %0, %0, %2\n sd %0, 40(%1)\n add %0, %0, %2\n"
                     "sd %0, 48(%1)\n add %0, %0, %2\n sd %0, 56(%1)\n add %0, %0, %2"
                     : "+r"(e) : "r"(p), "r"(d) : "memory");
  return e;
}
// The same for one address space: drops the cached non-global translations of `asid`.
static inline void rumpk_tlb_flush_asid(uint64_t asid) {
  __asm__ volatile("sfence.vma zero, %0" :: "r"(asid) : "memory");
}
#endif
