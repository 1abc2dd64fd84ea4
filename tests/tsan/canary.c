/* TSan canary driver: `tsan_canary VARIANT [SECONDS]` runs central and malloc/free traffic
 * on one span class plus an observer thread that calls the variant's canary_touch, which
 * touches the state the canary build leaves unsynchronized *through the variant's own
 * synchronization*. Run twice by tests/tsan/run-canary:
 *   control  a ThreadSanitizer build without -DSL_TSAN_CANARY: nothing may be reported
 *            (so the driver, the observer and the traffic race with nothing themselves);
 *   canary   the same with -DSL_TSAN_CANARY, where each variant has one synchronization
 *            removed: TSan must report, with one racing access on a line of
 *            variants/VARIANT.c marked `CANARY site`.
 * Only the planted removal can race, so a caught canary shows that TSan would see that
 * missing synchronization, not merely that it instruments the file.
 * `tsan_canary --list` prints the registered variant names, one a line (scripts/tsan).
 * Sizes: SECONDS (default 10) bounds the run; SL_CANARY_THREADS (2) workers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check.h"
#include "atomic.h"
#include "central.h"
#include "spanlab.h"

#define OBJ_SIZE  1024u /* a class with few objects per span: much central traffic */
#define BATCH     32u
#define MAILBOXES 64u

static unsigned spc;
static atomic_bool stop;
static _Atomic(void *) mailbox[MAILBOXES]; /* objects handed to another worker to free */
static pthread_barrier_t start;

static __thread char owner_token; /* unique per live thread, never a real mcache */

/* Central traffic: take a span, leave one slot in use so the common layer keeps it in
 * the available set, give it back (as tests/test_conformance.c does). */
static void central_round(void) {
    uintptr_t owner = (uintptr_t)&owner_token;
    sl_span_t *s = sl_central_cache(spc, owner, 0);
    if (!s) {
        fprintf(stderr, "tsan_canary: sl_central_cache(%u): %s\n", spc, strerror(errno));
        exit(2);
    }
    if (s->nelems > 1)
        s->freeindex = 1;
    sl_central_uncache(s, owner);
}

/* malloc/free traffic with remote frees: objects go through the mailboxes to whichever
 * worker picks them up, so spans park and come back through put_available. */
static void malloc_round(unsigned id, unsigned *cursor) {
    for (unsigned i = 0; i < BATCH; i++) {
        unsigned char *p = sl_malloc(OBJ_SIZE);
        if (!p) {
            fprintf(stderr, "tsan_canary: sl_malloc(%u) failed\n", OBJ_SIZE);
            exit(2);
        }
        p[0] = (unsigned char)id;
        p[OBJ_SIZE - 1] = (unsigned char)id;
        unsigned slot = (*cursor)++ % MAILBOXES;
        void *old = atomic_exchange_explicit(&mailbox[slot], p, memory_order_acq_rel);
        if (old)
            sl_free(old);
    }
}

static void *worker(void *arg) {
    unsigned id = (unsigned)(uintptr_t)arg, cursor = id * 7;
    struct sl_central_counters c;
    pthread_barrier_wait(&start);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < 16; i++)
            central_round();
        malloc_round(id, &cursor);
        /* The variant's stats() too: some canaries drop the lock there. */
        sl_central_counters((int)spc, &c);
    }
    sl_thread_exit();
    return NULL;
}

/* The observer: only canary_touch, which synchronizes the way the variant does; it does
 * not wait at the workers' start barrier. It adds accesses to the canary's state from a
 * third thread, in the control build without a race. */
static void *observer(void *arg) {
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        sl_central_active->canary_touch(sl_central_set(spc, 0));
    return NULL;
}

static unsigned env_uint(const char *name, unsigned dflt) {
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (*end || x == 0 || x > 64) {
        fprintf(stderr, "tsan_canary: bad %s=%s (1 .. 64)\n", name, v);
        exit(2);
    }
    return (unsigned)x;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (const sl_central_ops_t *const *v = sl_variant_list(); *v; v++)
            printf("%s\n", (*v)->name);
        return 0;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: tsan_canary --list | tsan_canary VARIANT [SECONDS]\n");
        return 2;
    }
    double seconds = 10;
    if (argc == 3) {
        char *end;
        seconds = strtod(argv[2], &end);
        if (*end || !(seconds > 0)) {
            fprintf(stderr, "tsan_canary: bad SECONDS '%s'\n", argv[2]);
            return 2;
        }
    }
    unsigned nworkers = env_uint("SL_CANARY_THREADS", 2);
    int r = sl_init(argv[1]);
    if (r != 0) {
        fprintf(stderr, "tsan_canary: sl_init(%s): %s\n", argv[1], strerror(-r));
        return 2;
    }
    if (!sl_central_active->canary_touch) {
        fprintf(stderr, "tsan_canary: variant %s has no canary_touch observer\n", argv[1]);
        return 3;
    }
    printf("tsan_canary: %s/%s\n", sl_variant(), sl_policy()); /* $SPANLAB_POLICY picks it */
    fflush(stdout);
    spc = sl_spanclass(sl_size_to_class(OBJ_SIZE), 0);

    pthread_t th[65];
    pthread_barrier_init(&start, NULL, nworkers);
    for (unsigned i = 0; i < nworkers; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "tsan_canary: pthread_create failed\n");
            return 2;
        }
    if (pthread_create(&th[nworkers], NULL, observer, NULL) != 0) {
        fprintf(stderr, "tsan_canary: pthread_create failed\n");
        return 2;
    }
    double end = now_s() + seconds;
    while (now_s() < end) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    atomic_store_explicit(&stop, true, memory_order_relaxed);
    for (unsigned i = 0; i <= nworkers; i++)
        pthread_join(th[i], NULL);
    for (unsigned i = 0; i < MAILBOXES; i++) {
        void *p = atomic_exchange_explicit(&mailbox[i], NULL, memory_order_acq_rel);
        if (p)
            sl_free(p);
    }
    /* Reaching here means TSan did not stop the run: clean (control) or NOT CAUGHT (canary). */
    struct sl_central_counters c;
    sl_central_counters((int)spc, &c);
    printf("tsan_canary: %s (%s build) ran %.1f s with %u workers and no report (class %u: "
           "%llu cache, "
           "%llu put_available, %llu lock waits, %llu CAS retries, %llu grace periods)\n",
           argv[1], sl_central_canary_build ? "canary" : "control", seconds, nworkers, spc,
           (unsigned long long)c.cache_calls, (unsigned long long)c.put_available_calls,
           (unsigned long long)c.lock_waits, (unsigned long long)c.cas_retries,
           (unsigned long long)c.grace_periods);
    return 0;
}
