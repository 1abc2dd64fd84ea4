/* sweep -- Go's own span-reuse cycle. A free only records its bit (owner-local: plain;
 * remote: one atomic OR) and never changes a span's state; freed slots become
 * allocatable when the span is swept, and sweeping is organised in cycles as in Go:
 *   - a cycle starts when the heap in use has grown by $SPANLAB_GOGC percent (default
 *     100) since the last one began, as Go paces it: the live heap L when a cycle begins
 *     (central.h: bytes allocated and not freed, frees counted when they happen, not
 *     when swept) and the next cycle once the mcaches were handed L x GOGC / 100 bytes
 *     more (or the heap reaches Go's minimum, 4 MiB x GOGC / 100); the starting thread finishes the
 * previous cycle's sweeping (Go's finishsweep_m) and raises the sweep generation, which turns every
 * span in the mcentral unswept;
 *   - each thread sweeps its cached spans at its first refill of a new cycle (Go's
 *     mcache.prepareForSweep, done in place; a generation per cache): those it allocated
 *     from in the last cycle and with a free slot stay cached, the others are given back;
 *   - cacheSpan (central.c, sweep mode) takes a swept partial span, else sweeps unswept
 *     partial spans, then unswept full spans within a budget, then grows;
 *   - a background sweeper thread ($SPANLAB_SWEEPER=1, the default) sweeps what is left
 *     of each cycle; sl_scavenge (Go's debug.FreeOSMemory) forces a cycle and sweeps it
 *     all, giving every all-free span back.
 * The mcentral side (the four set instances per class and their roles) is in central.c;
 * double frees are still caught (README, "Span-return policies"). Neighbours: central.c,
 * mcache.c (refill, start_threads), scavenger.c (sl_scavenge -> drain). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "central.h"
#include "counters.h"
#include "env.h"
#include "fatal.h"
#include "mheap.h"
#include "os.h"
#include "policy.h"
#include "sweep.h"
#include "tiny.h"

#define GOGC_DEFAULT 100
#define HEAP_MINIMUM ((size_t)4 << 20) /* Go's defaultHeapMinimum, scaled by GOGC */
#define GOGC_OFF     0u /* $SPANLAB_GOGC=off (env.c's word for 0): only sl_scavenge starts cycles */

static unsigned gogc = GOGC_DEFAULT; /* set once by configure */
static bool sweeper_enabled = true;  /* set once by configure */

/* Cycle starts are serialised by cycle_lock (taken before any mcentral or mheap lock).
 * xtrigger: the sl_central_heap_alloc value that starts the next cycle; under cycle_lock,
 * peeked relaxed by every refill (a stale value only delays or repeats the check). */
static pthread_mutex_t cycle_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t xtrigger;

/* The background sweeper: waits on sweeper_cond for a generation it has not swept;
 * holds span_lock while a span is in its hands (fork and sl_sweep_hold take it). */
static pthread_mutex_t sweeper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sweeper_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t span_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int xsweeper_started; /* 0 = not yet, 1 = running (or being started) */
static __thread bool holding;        /* this thread holds both locks (sl_sweep_hold) */

/* cycle_lock then span_lock: no cycle starts and the sweeper holds no span. */
static void lock_all(void) {
    if (holding)
        return;
    pthread_mutex_lock(&cycle_lock);
    pthread_mutex_lock(&span_lock);
}

static void unlock_all(void) {
    if (holding)
        return;
    pthread_mutex_unlock(&span_lock);
    pthread_mutex_unlock(&cycle_lock);
}

/* Under cycle_lock (or at initialisation): Go's pacing. The cycle that begins now saw
 * `live` bytes in use; the next one begins once the mcaches have been handed GOGC % of
 * that for allocation, or the heap reaches Go's minimum (4 MiB x GOGC / 100). */
static void set_trigger(void) {
    if (gogc == GOGC_OFF) {
        sl_store_relaxed(&xtrigger, UINT64_MAX);
        return;
    }
    uint64_t live = sl_central_heap_live(), grow = live / 100 * gogc,
             floor = HEAP_MINIMUM / 100 * gogc;
    if (live + grow < floor)
        grow = floor - live;
    sl_store_relaxed(&xtrigger, sl_central_heap_alloc() + grow);
}

static int sweep_configure(void) {
    unsigned g = GOGC_DEFAULT, sw = 1;
    if (sl_env_unsigned(SL_ENV_GOGC, &g) < 0 || sl_env_unsigned(SL_ENV_SWEEPER, &sw) < 0)
        return -EINVAL;
    gogc = g;
    sweeper_enabled = sw == 1;
    set_trigger(); /* the heap is empty: Go's minimum heap */
    return 0;
}

void sl_sweep_finish(bool release_empty) {
    if (!sl_central_sweep_mode)
        return;
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++)
        while (sl_central_sweep_one(spc, SL_CTR_swept_bg, release_empty))
            ;
}

/* Under cycle_lock. The previous cycle's leftovers are swept by the starting thread, on
 * the allocation path (background: sl_scavenge). */
static void start_cycle_locked(unsigned ctr) {
    /* Go's finishsweep_m: nothing left unswept when the roles swap.
     * model sweep.cc:finish_before_advance */
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++)
        while (sl_central_sweep_one(spc, ctr, false))
            ;
    sl_central_sweep_advance();
    set_trigger();
    pthread_mutex_lock(&sweeper_lock);
    pthread_cond_broadcast(&sweeper_cond);
    pthread_mutex_unlock(&sweeper_lock);
}

void sl_sweep_new_cycle(void) {
    if (!sl_central_sweep_mode)
        return;
    lock_all();
    start_cycle_locked(SL_CTR_swept_bg);
    unlock_all();
}

static void maybe_start_cycle(void) {
    if (sl_central_heap_alloc() < sl_load_relaxed(&xtrigger))
        return;
    if (pthread_mutex_trylock(&cycle_lock) != 0)
        return; /* another thread is starting one */
    if (sl_central_heap_alloc() >= sl_load_relaxed(&xtrigger))
        start_cycle_locked(SL_CTR_swept_alloc);
    pthread_mutex_unlock(&cycle_lock);
}

void sl_sweep_hold(bool hold) {
    if (!sl_central_sweep_mode)
        return;
    if (hold) {
        lock_all();
        holding = true;
    } else {
        holding = false;
        unlock_all();
    }
}

static void *sweeper_main(void *arg) {
    (void)arg;
    if (sl_central_active->thread_attach)
        sl_central_active->thread_attach();
    uint64_t swept = 0; /* the last generation this thread finished */
    for (;;) {
        pthread_mutex_lock(&sweeper_lock);
        while (sl_central_sweepgen() == swept)
            pthread_cond_wait(&sweeper_cond, &sweeper_lock);
        swept = sl_central_sweepgen();
        pthread_mutex_unlock(&sweeper_lock);
        for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
            for (;;) {
                pthread_mutex_lock(&span_lock);
                bool more = sl_central_sweep_one(spc, SL_CTR_swept_bg, false);
                pthread_mutex_unlock(&span_lock);
                if (!more)
                    break;
            }
        }
    }
    return NULL;
}

static void sweep_start_threads(void) {
    if (sweeper_enabled)
        sl_os_start_thread_once(&xsweeper_started, sweeper_main); /* or at a later refill */
}

/* Go's mcache.releaseAll: every span c holds back to the mcentral (swept there). The
 * drain (sl_scavenge, out of memory) uses it, so that all of the program's free memory can
 * go back. */
static void release_all(sl_mcache_t *c) {
    sl_tiny_release_current(c); /* may free into c's own tiny span: first */
    for (unsigned spc = 0; spc < SL_NUM_SPAN_CLASSES; spc++) {
        sl_span_t *s = c->alloc[spc];
        if (s != &sl_span_empty) {
            c->alloc[spc] = &sl_span_empty;
            sl_central_uncache(s, (uintptr_t)c);
        }
    }
}

/* Go's mcache.prepareForSweep, at c's first refill of a new cycle. Go gives every cached
 * span back (releaseAll) because only the sweeper may turn a span's mark bits into its
 * allocation bits, and not under a P allocating from it. Here a free is a bit that the
 * owner folds in itself (sl_central_sweep_cached, as on every exhausted span), so what the
 * flush is for -- every span swept once in the new cycle, its frees reusable -- is done in
 * place. A span the thread allocated from since its last sweep (at the latest, the
 * previous cycle's flush) and that still has a free slot stays cached: giving it back
 * would only make the next allocation of its class take it, or one like it, from the
 * mcentral again, one acquisition per class and cycle for nothing (README, "Span-return
 * policies", has what it cost). The rest go back as Go's flush sends them: a full span to
 * the swept full set (where the class's next refill would send it), and one the thread
 * left untouched for a cycle to the partial set or, all free, to the mheap by the
 * anti-thrash rule, so that a class the thread stopped using strands nothing in its
 * cache. */
static void prepare_for_sweep(sl_mcache_t *c) {
    sl_tiny_release_current(c); /* may free into c's own tiny span: first */
    for (unsigned spc = 0; spc < SL_NUM_SPAN_CLASSES; spc++) {
        sl_span_t *s = c->alloc[spc];
        if (s == &sl_span_empty)
            continue;
        bool used = s->freeindex > 0; /* an allocation since its last sweep moved it */
        sl_central_sweep_cached(s);
        if (used && s->alloc_count < s->nelems)
            continue;
        c->alloc[spc] = &sl_span_empty;
        sl_central_uncache(s, (uintptr_t)c);
    }
}

static sl_span_t *sweep_refill(sl_mcache_t *c, unsigned spc, sl_span_t *exhausted) {
    if (sl_tls_live_freed)
        sl_central_live_flush();
    maybe_start_cycle();
    if (exhausted != &sl_span_empty)
        sl_central_uncache(exhausted, (uintptr_t)c);
    uint64_t gen = sl_central_sweepgen();
    if (c->drain_seen != gen) {
        /* The cache's flush generation (drain_seen) is behind. */
        c->drain_seen = gen;
        prepare_for_sweep(c);
    }
    return sl_central_cache(spc, (uintptr_t)c, 0);
}

/* sl_scavenge: this thread's spans back, a forced cycle, and all of it swept now. */
static void sweep_drain(void) {
    sl_mcache_t *c = sl_mcache_current();
    if (c)
        release_all(c);
    lock_all(); /* the sweeper must not keep an all-free span from us meanwhile */
    start_cycle_locked(SL_CTR_swept_bg);
    sl_sweep_finish(true);
    set_trigger();
    unlock_all();
}

static void sweep_atfork_prepare(void) {
    pthread_mutex_lock(&cycle_lock);
    pthread_mutex_lock(&span_lock);
}

static void sweep_atfork_parent(void) {
    pthread_mutex_unlock(&span_lock);
    pthread_mutex_unlock(&cycle_lock);
}

static void sweep_atfork_child(void) {
    pthread_mutex_init(&cycle_lock, NULL);
    pthread_mutex_init(&span_lock, NULL);
    pthread_mutex_init(&sweeper_lock, NULL);
    pthread_cond_init(&sweeper_cond, NULL);
    sl_store_relaxed(&xsweeper_started, 0); /* the sweeper thread does not exist here */
}

const sl_policy_t sl_policy_sweep = {
    .name = "sweep",
    .summary = "Go's cycle: frees only set bits; spans are swept (swept/unswept sets by "
               "generation) when the heap grew by SPANLAB_GOGC %",
    .nsets = 4,
    .sweep_mode = true,
    .configure = sweep_configure,
    .refill = sweep_refill,
    .start_threads = sweep_start_threads,
    .drain = sweep_drain,
    .atfork_prepare = sweep_atfork_prepare,
    .atfork_parent = sweep_atfork_parent,
    .atfork_child = sweep_atfork_child,
};
