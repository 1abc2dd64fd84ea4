/* Deterministic fault injection. Every call that can run out of memory is a numbered
 * failure point: an OS reservation (sl_os_reserve), a metadata allocation
 * (sl_os_meta_alloc), and each metadata chunk mapping. In a build with SL_FAULT_INJECTION (the
 * test library libspanlab-test.a, CMakeLists.txt) a test arms point n to fail, alone
 * or with every later point; in every other build sl_fault_point() is a constant false and costs
 * nothing. Points are counted in program order, so a single-threaded workload numbers them the same
 * way on every run, which is what lets a test walk n over all of them. */
#ifndef SL_FAULT_H
#define SL_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef SL_FAULT_INJECTION
/* Counts one failure point; true when it must fail (the caller then fails as the OS would,
 * NULL with errno = ENOMEM). */
bool sl_fault_point(void);

/* Make point n fail (points are numbered from 1 since the process started); with sticky,
 * every point from n on. n = 0 disarms. */
void sl_fault_arm(uint64_t n, bool sticky);

/* Points counted since the process started, and how many of them were made to fail. */
uint64_t sl_fault_points(void);
uint64_t sl_fault_fired(void);
#else
static inline bool sl_fault_point(void) {
    return false;
}
#endif

#endif
