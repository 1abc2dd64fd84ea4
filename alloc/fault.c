/* Fault injection (see fault.h). Compiled into every build; empty unless
 * SL_FAULT_INJECTION is defined. */
#include "fault.h"

#ifdef SL_FAULT_INJECTION
#include <errno.h>

#include "atomic.h"

/* Relaxed throughout: the counters order nothing; a test that wants exact numbering runs
 * its workload on one thread at a time. */
static _Atomic uint64_t xpoints; /* failure points passed */
static _Atomic uint64_t xfired;  /* of which made to fail */
static _Atomic uint64_t xarm_at; /* 0 = disarmed */
static _Atomic int xsticky;

bool sl_fault_point(void) {
    uint64_t n = sl_fetch_add_relaxed(&xpoints, 1) + 1;
    uint64_t at = sl_load_relaxed(&xarm_at);
    if (at == 0 || n < at || (n > at && !sl_load_relaxed(&xsticky)))
        return false;
    sl_fetch_add_relaxed(&xfired, 1);
    errno = ENOMEM;
    return true;
}

void sl_fault_arm(uint64_t n, bool sticky) {
    sl_store_relaxed(&xsticky, sticky ? 1 : 0);
    sl_store_relaxed(&xarm_at, n);
}

uint64_t sl_fault_points(void) {
    return sl_load_relaxed(&xpoints);
}

uint64_t sl_fault_fired(void) {
    return sl_load_relaxed(&xfired);
}
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int sl_fault_unused_t;
#endif
