/* The background scavenger: a thread that returns free pages to the OS once they have
 * stayed free for a decay time, or sooner while the heap holds more than a retained goal
 * over its recent peak in use, at a bounded rate ($SPANLAB_SCAVENGE_MS,
 * $SPANLAB_DECAY_MS, $SPANLAB_RETAIN_PCT, $SPANLAB_SCAVENGE_RATE; see scavenger.c). */
#ifndef SL_SCAVENGER_H
#define SL_SCAVENGER_H

#include <stdbool.h>
#include <stdint.h>

/* The effective decay time stretches to at most this many times $SPANLAB_DECAY_MS. */
#define SL_DECAY_STRETCH 16

/* The decay controller (scavenger.c explains it): base_ms is $SPANLAB_DECAY_MS, max_ms
 * SL_DECAY_STRETCH times it, eff_ms the decay time in force, calm_since when it last
 * changed or last had to grow. */
typedef struct sl_decay {
    uint64_t base_ms, max_ms, eff_ms, calm_since;
} sl_decay_t;

/* One step at `now`: reused says whether released pages were handed out again at most
 * max_ms after their block's last free, idle_ms the longest such time. */
void sl_decay_update(sl_decay_t *d, uint64_t now, bool reused, uint64_t idle_ms);

/* The retained goal (scavenger.c explains it): the heap's peak in use over the last
 * window, kept in two halves (cur: the peak since `since`; prev: the half before), plus
 * $SPANLAB_RETAIN_PCT percent of it, but at least SL_RETAIN_MIN. */
#define SL_RETAIN_MIN ((size_t)16 << 20)
typedef struct sl_retain {
    uint64_t since;
    size_t cur, prev;
} sl_retain_t;

/* One sample at `now` of the bytes in use: the goal for the bytes backed by memory (in
 * use, plus free and not yet released) with the peak over the last window_ms and a
 * margin of pct percent. */
size_t sl_retain_goal(sl_retain_t *r, uint64_t now, uint64_t window_ms, size_t inuse, unsigned pct);

/* The decay time in force (relaxed; $SPANLAB_DECAY_MS without a background thread). */
uint64_t sl_scavenger_decay_ms(void);

/* Start the thread if enabled and not yet running. Never call with a lock held. */
void sl_scavenger_start(void);

/* Read the parameters (called once at initialisation): 0, or -EINVAL after printing
 * which value is wrong. */
int sl_scavenger_configure(void);

/* Tests: hold (true) or release (false) the background thread between two passes, so
 * that a quiescence check sees no span in its hands (its pass over the mcentrals holds
 * the spans it has taken, CACHED under its own owner, until it gives them back). Held,
 * the thread waits at its next pass; the caller waits for a pass in flight to end. */
void sl_scavenger_hold(bool hold);

/* fork(): no pass is in flight across the fork, so the child never inherits spans in
 * the hands of a thread it does not have. Taken first, before the policy's locks
 * (alloc/init.c). */
void sl_scavenger_atfork_prepare(void);
void sl_scavenger_atfork_parent(void);
void sl_scavenger_atfork_child(void);

#endif
