/* Background scavenging with decay: a free page goes back to the OS (MADV_DONTNEED) once
 * its 64-page block has had no page freed into it for the decay time, or sooner while the
 * heap holds more than its retained goal, at a bounded rate, least recently freed first,
 * in contiguous runs (pagealloc.c keeps the blocks in that order). sl_scavenge() bypasses
 * every bound and releases every free page at once.
 *
 * Why decay, and why this shape:
 * - Releasing a page the moment it is free (the former policy: keep 10 % of the heap in
 *   use, release the rest every 100 ms) makes a program that frees and allocates again in
 *   waves fault the same pages back in, over and over. Refaults are the expensive half:
 *   here (2-core VM) writing 256 MiB of released pages back in took 2.0-3.3 s, releasing
 *   them 0.04-0.2 s. A steady-state program keeps freeing into the blocks it reuses, so
 *   their clock keeps restarting and they are never released: the cushion it needs stays.
 * - Go's retained goal (heap goal + 10 %) is tied to a GC cycle's heap goal, which a
 *   malloc/free program does not have; over the heap in use of the moment (the former
 *   policy) it releases whatever exceeds the margin at once, which is the storm above
 *   (the goal kept here is over a recent peak, below). jemalloc's decay (dirty_decay_ms on a
 *   smoothstep curve) is the closest model; here the curve is a step (nothing younger
 *   than the decay time is ever released) followed by a rate bound, which is simpler and
 *   makes the cushion guarantee exact.
 * - Per-block clocks, 64 pages (512 KiB), one bitmap word: the unit a thread's page cache
 *   takes and returns, cheap to stamp under the heap lock (coarse clock, no syscall). A
 *   block with one busy page keeps its other idle pages: at most 512 KiB per busy block.
 * - Contiguous runs: a released run grows across neighbouring blocks that are as old, so
 *   an idle stretch costs one madvise. Measured here, 256 MiB released in 512 KiB pieces
 *   took 170-210 ms, in 4 MiB pieces 41-50 ms, in 64 KiB pieces 4.6-5.6 s.
 * - The rate bounds the work and the TLB shootdowns of one period; at the default a
 *   released gigabyte takes 4 s.
 * - All-free spans the mcentrals keep are pages the heap cannot see: they go back to the
 *   heap every quarter decay time and then decay like any other free page.
 * - The decay time stretches when it proves too short. The clock is wall time, so a
 *   program slowed by a loaded machine (or one that simply reuses its holes slowly, as
 *   malloc-large does: a freed buffer's hole is partly refilled at once, the rest only
 *   when a later buffer happens to fit there) sees its free pages age out between two
 *   uses of them, and every release comes back as faults. The heap reports when pages
 *   the scavenger released are handed out again, and how long their block had been idle
 *   (sl_mheap_take_reuse); a reuse after an idle time t that is at least the configured
 *   decay time sets the decay time in force to 2t, up to SL_DECAY_STRETCH (16) times
 *   the configured one. After a decay time in force with no such reuse it halves, down
 *   to the configured one. A program that never takes released pages back (the idle
 *   heap after a drop) keeps the configured decay time; one that keeps doing so stops
 *   paying for it after a few doublings. Measured in results/README.md ("The decay time
 *   stretches").
 *   Reuses after more than 16 decay times are not counted: the memory was idle for
 *   long enough that returning it was right.
 * - The retained goal bounds what the decay keeps. A heap whose free pages are fragments
 *   that its requests do not fit (mimalloc's test-stress: 16 threads whose 5 MiB objects
 *   find no hole among the freed small spans) grows into fresh memory round after round
 *   while every hole stays young enough to be kept: with no background scavenger its
 *   RSS reached 1.7-1.9x its peak in use. Go keeps retained memory near its heap goal plus
 *   10 %; a malloc/free program has no GC goal, so the goal here is the heap's own peak
 *   in use over the last decay time in force (sampled each period, kept in two halves),
 *   plus $SPANLAB_RETAIN_PCT percent (at least SL_RETAIN_MIN). While the pages in use
 *   plus the free pages still backed exceed it, the least recently freed pages go first,
 *   whatever their age, within the rate. The peak over a decay time keeps the cushion of
 *   a program that frees and allocates in waves (its next wave's peak is its last one);
 *   after a drop the goal follows the heap down a decay time later. The margin is
 *   measured (results/README.md, "The retained goal"): 10 % (Go's) brings test-stress
 *   closest to the release-at-once build's RSS but faults malloc-large 1.5-1.6x (its holes,
 *   1.25x its peak in use, are reused); 30 % keeps malloc-large at no-background-
 *   scavenger's faults.
 * - The page allocator gives a run of 16 pages or more the shortest stretch of free pages
 *   still backed that holds it before it falls back to first fit (pagealloc.c), so an
 *   object lands in a dirty hole rather than on released pages while the hole stays
 *   backed; what the scavenger then returns is memory the heap had no use for.
 *
 * Parameters (read once at initialisation; a bad value is an error, not ignored):
 *   SPANLAB_SCAVENGE_MS   period of the background thread (default 100; 0 = no thread)
 *   SPANLAB_DECAY_MS      how long a block stays idle before its pages may go (1000;
 *                         the decay time in force may stretch up to 16 times this)
 *   SPANLAB_SCAVENGE_RATE at most this many MiB released per second (256)
 *   SPANLAB_RETAIN_PCT    the retained goal's margin over the recent peak in use, in
 *                         percent (30; off: the decay time alone)
 * The defaults are measured in results/README.md ("Scavenger").
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "central.h"
#include "env.h"
#include "fatal.h"
#include "malloc_internal.h"
#include "mcache.h"
#include "mheap.h"
#include "os.h"
#include "policy.h"
#include "scavenger.h"

static _Atomic int started; /* 0 = not yet, 1 = running or disabled */
/* Held by the background thread for each pass (while spans are in its hands), by
 * sl_scavenge, by fork and by sl_scavenger_hold; taken before any other allocator lock
 * (the policy's included). */
static pthread_mutex_t pass_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread bool holding; /* this thread holds pass_lock through sl_scavenger_hold */
static unsigned period_ms = 100;
static unsigned decay_ms = 1000;
static unsigned rate_mib = 256;
static unsigned retain_pct = 30;             /* 0: no retained goal */
static _Atomic uint64_t decay_now_ms = 1000; /* the effective decay time, for sl_stats */

int sl_scavenger_configure(void) {
    if (sl_env_unsigned(SL_ENV_SCAVENGE_MS, &period_ms) < 0 ||
        sl_env_unsigned(SL_ENV_DECAY_MS, &decay_ms) < 0 ||
        sl_env_unsigned(SL_ENV_SCAVENGE_RATE, &rate_mib) < 0 ||
        sl_env_unsigned(SL_ENV_RETAIN_PCT, &retain_pct) < 0)
        return -EINVAL;
    if (period_ms == 0)
        sl_store_relaxed(&started, 1);
    sl_store_relaxed(&decay_now_ms, decay_ms);
    return 0;
}

void sl_decay_update(sl_decay_t *d, uint64_t now, bool reused, uint64_t idle_ms) {
    if (reused && idle_ms >= d->base_ms) {
        /* Released too early: the next release waits twice as long as this reuse took. */
        uint64_t want = idle_ms * 2 < d->max_ms ? idle_ms * 2 : d->max_ms;
        if (want > d->eff_ms)
            d->eff_ms = want;
        d->calm_since = now;
    } else if (d->eff_ms > d->base_ms && now - d->calm_since >= d->eff_ms) {
        d->eff_ms = d->eff_ms / 2 > d->base_ms ? d->eff_ms / 2 : d->base_ms;
        d->calm_since = now;
    }
}

size_t sl_retain_goal(sl_retain_t *r, uint64_t now, uint64_t window_ms, size_t inuse,
                      unsigned pct) {
    /* The window's peak from two halves: the one in progress and the one before. */
    if (now - r->since >= window_ms / 2) {
        r->prev = now - r->since >= window_ms ? 0 : r->cur; /* no sample in a whole half */
        r->cur = 0;
        r->since = now;
    }
    if (inuse > r->cur)
        r->cur = inuse;
    size_t peak = r->cur > r->prev ? r->cur : r->prev;
    size_t margin = peak * pct / 100; /* pct <= 1000: no overflow below 2^54 bytes */
    return peak + (margin > SL_RETAIN_MIN ? margin : SL_RETAIN_MIN);
}

uint64_t sl_scavenger_decay_ms(void) {
    return sl_load_relaxed(&decay_now_ms);
}

static void *scavenger_main(void *arg) {
    (void)arg;
    struct timespec ts = {period_ms / 1000, (long)(period_ms % 1000) * 1000000L};
    /* A period's share of the rate; a late wake-up does not make up for lost time. */
    size_t budget = ((size_t)rate_mib << 20) / 1000 * period_ms;
    uint64_t spans_at = sl_mheap_clock_ms();
    sl_decay_t d = {decay_ms, (uint64_t)decay_ms * SL_DECAY_STRETCH, decay_ms, spans_at};
    sl_retain_t goal = {spans_at, 0, 0};
    for (;;) {
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&pass_lock);
        uint64_t now = sl_mheap_clock_ms(), idle = 0;
        bool reused = sl_mheap_take_reuse(d.max_ms, &idle);
        sl_decay_update(&d, now, reused, idle);
        sl_store_relaxed(&decay_now_ms, d.eff_ms);
        /* All-free spans that the mcentrals keep are pages the heap cannot see: every
         * quarter decay time they go back to it, where their pages start their own decay.
         * So an idle heap is back near its live size within about 1.25 decay times (the
         * time in force) plus the time the rate needs. */
        if (now - spans_at >= d.eff_ms / 4) {
            sl_central_release_empty();
            spans_at = now;
        }
        /* Above the retained goal the least recently freed pages go whatever their age;
         * then those past the decay time, with what is left of the period's budget. */
        size_t spent = 0;
        if (retain_pct) {
            /* heap_inuse: pages owned by spans; heap_free: free pages still backed (the
             * heap's and the page caches'), read together under the heap lock. */
            struct sl_stats st;
            sl_mheap_stats(&st);
            size_t backed = st.heap_inuse + st.heap_free;
            size_t want = sl_retain_goal(&goal, now, d.eff_ms, st.heap_inuse, retain_pct);
            size_t over = backed > want ? backed - want : 0;
            if (over)
                spent = sl_mheap_scavenge(UINT64_MAX, over < budget ? over : budget);
        }
        if (now >= d.eff_ms && spent < budget)
            sl_mheap_scavenge(now - d.eff_ms, budget - spent);
        pthread_mutex_unlock(&pass_lock);
    }
    return NULL;
}

void sl_scavenger_start(void) {
    sl_os_start_thread_once(&started, scavenger_main); /* or later */
}

void sl_scavenger_hold(bool hold) {
    if (hold) {
        pthread_mutex_lock(&pass_lock);
        holding = true;
    } else {
        holding = false;
        pthread_mutex_unlock(&pass_lock);
    }
}

/* sl_scavenge: "every free page now" includes the pages of the all-free spans a
 * background pass has in its hands, so it waits for that pass and runs alone (a no-op
 * in a thread that holds the scavenger through sl_scavenger_hold). */
static void scavenger_exclusive(bool begin) {
    if (!holding)
        sl_scavenger_hold(begin);
}

/* Give back what the policy keeps in mcaches first, then all-free spans, then every free
 * page, at once. */
void sl_scavenge(void) {
    if (sl_ensure_init() <= 0)
        return;
    sl_mcache_t *c = sl_mcache_current();
    scavenger_exclusive(true);
    if (sl_policy_active->drain)
        sl_policy_active->drain();
    if (c)
        sl_mheap_flush_pagecache(&c->pcache);
    sl_central_release_empty();
    sl_mheap_scavenge(UINT64_MAX, SIZE_MAX);
    scavenger_exclusive(false);
}

void sl_scavenger_atfork_prepare(void) {
    pthread_mutex_lock(&pass_lock);
}

void sl_scavenger_atfork_parent(void) {
    pthread_mutex_unlock(&pass_lock);
}

void sl_scavenger_atfork_child(void) {
    pthread_mutex_init(&pass_lock, NULL); /* the background thread does not exist here */
    sl_store_relaxed(&started, period_ms == 0 ? 1 : 0);
}
