/* Background scavenging with decay: a free page goes back to the OS (MADV_DONTNEED) only
 * once its 64-page block has had no page freed into it for the decay time, at a bounded
 * rate, least recently freed first, in contiguous runs (pagealloc.c keeps the blocks in
 * that order). sl_scavenge() bypasses both bounds and releases every free page at once.
 *
 * Why decay, and why this shape:
 * - Releasing a page the moment it is free (the former policy: keep 10 % of the heap in
 *   use, release the rest every 100 ms) makes a program that frees and allocates again in
 *   waves fault the same pages back in, over and over. Refaults are the expensive half:
 *   here (2-core VM) writing 256 MiB of released pages back in took 2.0-3.3 s, releasing
 *   them 0.04-0.2 s. A steady-state program keeps freeing into the blocks it reuses, so
 *   their clock keeps restarting and they are never released: the cushion it needs stays.
 * - Go's retained goal (heap in use + 10 %) is tied to a GC cycle's heap goal, which a
 *   malloc/free program does not have; without it, the goal releases whatever exceeds
 *   the margin at once, which is the storm above. jemalloc's decay (dirty_decay_ms on a
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
 * - Known limit: the clock is wall time and there is no retained floor, so a program that
 *   only partly refills old holes (malloc-large), slowed down by a loaded machine, still
 *   refaults what aged out (measured in results/README.md).
 *
 * Parameters (read once at initialisation; a bad value is an error, not ignored):
 *   SPANLAB_SCAVENGE_MS   period of the background thread (default 100; 0 = no thread)
 *   SPANLAB_DECAY_MS      how long a block stays idle before its pages may go (1000)
 *   SPANLAB_SCAVENGE_RATE at most this many MiB released per second (256)
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
#include "mheap.h"
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

int sl_scavenger_configure(void) {
    if (sl_env_unsigned(SL_ENV_SCAVENGE_MS, &period_ms) < 0 ||
        sl_env_unsigned(SL_ENV_DECAY_MS, &decay_ms) < 0 ||
        sl_env_unsigned(SL_ENV_SCAVENGE_RATE, &rate_mib) < 0)
        return -EINVAL;
    if (period_ms == 0)
        atomic_store_explicit(&started, 1, memory_order_relaxed);
    return 0;
}

static void *scavenger_main(void *arg) {
    (void)arg;
    struct timespec ts = {period_ms / 1000, (long)(period_ms % 1000) * 1000000L};
    /* A period's share of the rate; a late wake-up does not make up for lost time. */
    size_t budget = ((size_t)rate_mib << 20) / 1000 * period_ms;
    uint64_t spans_at = sl_mheap_clock_ms();
    for (;;) {
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&pass_lock);
        uint64_t now = sl_mheap_clock_ms();
        /* All-free spans that the mcentrals keep are pages the heap cannot see: every
         * quarter decay time they go back to it, where their pages start their own decay.
         * So an idle heap is back near its live size within about 1.25 decay times plus
         * the time the rate needs. */
        if (now - spans_at >= decay_ms / 4) {
            sl_central_release_empty();
            spans_at = now;
        }
        if (now >= decay_ms)
            sl_mheap_scavenge(now - decay_ms, budget);
        pthread_mutex_unlock(&pass_lock);
    }
    return NULL;
}

void sl_scavenger_start(void) {
    if (atomic_load_explicit(&started, memory_order_relaxed))
        return;
    int expected = 0;
    if (!atomic_compare_exchange_strong_explicit(&started, &expected, 1, memory_order_relaxed,
                                                 memory_order_relaxed))
        return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 << 10);
    if (pthread_create(&t, &attr, scavenger_main, NULL) != 0)
        atomic_store_explicit(&started, 0, memory_order_relaxed); /* try again later */
    pthread_attr_destroy(&attr);
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

/* sl_scavenge (stats.c): "every free page now" includes the pages of the all-free spans a
 * background pass has in its hands, so it waits for that pass and runs alone. */
void sl_scavenger_exclusive(bool begin) {
    if (!holding)
        sl_scavenger_hold(begin);
}

void sl_scavenger_atfork_prepare(void) {
    pthread_mutex_lock(&pass_lock);
}

void sl_scavenger_atfork_parent(void) {
    pthread_mutex_unlock(&pass_lock);
}

void sl_scavenger_atfork_child(void) {
    pthread_mutex_init(&pass_lock, NULL); /* the background thread does not exist here */
    atomic_store_explicit(&started, period_ms == 0 ? 1 : 0, memory_order_relaxed);
}
