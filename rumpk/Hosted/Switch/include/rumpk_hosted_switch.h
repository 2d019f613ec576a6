// Hosted-mode pieces Swift cannot express or Glibc does not import.
#ifndef RUMPK_HOSTED_SWITCH_H
#define RUMPK_HOSTED_SWITCH_H
#include <sys/eventfd.h>
#include <sys/random.h>

// First code a new fiber runs (switch_x86_64.S): calls r13(r12).
void rumpk_fiber_trampoline(void);

static inline int rumpk_hosted_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline long rumpk_hosted_getrandom(void *buf, unsigned long len) { return getrandom(buf, len, 0); }
// The executable's code and data, from the linker's standard symbols.
const void *hosted_text_start(void);
const void *hosted_text_end(void);
const void *hosted_data_start(void);
const void *hosted_data_end(void);
// The budget clock (budget_clock.c): the cell enters (1) and leaves (0) its idle wait.
#define RUMPK_HOSTED_CLOCK_PERIOD_NS 100000
void rumpk_hosted_clock_idle(int waiting);
#endif
