/* The sweep policy's cycle (policy_sweep.c), for sl_scavenge and tests. Each does
 * nothing unless the active policy is `sweep` (sl_central_sweep_mode). */
#ifndef SL_SWEEP_H
#define SL_SWEEP_H

#include <stdbool.h>

/* Start a sweep cycle now, whatever the heap's growth (Go's runtime.GC()): finish the
 * current cycle's sweeping, then raise the generation. */
void sl_sweep_new_cycle(void);

/* Sweep every unswept span of every class now (counted as background sweeping);
 * all-free spans go back to the mheap when release_empty, else by the anti-thrash rule. */
void sl_sweep_finish(bool release_empty);

/* Tests: hold (true) or release (false) the cycle: no cycle starts and the background
 * sweeper waits between two spans, so a quiescence check sees no span in its hands. The
 * holding thread may still call sl_sweep_new_cycle and sl_scavenge. */
void sl_sweep_hold(bool hold);

#endif
