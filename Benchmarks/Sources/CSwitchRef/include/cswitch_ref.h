// The peers a Rumpk fiber switch is compared with: ucontext swapcontext ping-pong and a pthread
// condition-variable ping-pong between two threads. Each returns nanoseconds per switch.
#ifndef CSWITCH_REF_H
#define CSWITCH_REF_H
#include <stdint.h>
double cswitch_swapcontext_ns(uint64_t switches);
// The same with both contexts running one function.
double cswitch_swapcontext_same_code_ns(uint64_t switches);
double cswitch_condvar_ns(uint64_t switches);
#endif
