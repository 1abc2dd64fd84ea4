/* Conformance suite for one mcentral variant under one span-return policy:
 * `test_conformance <variant>[/<policy>] [phase...]`. Registered once per variant in
 * variants/variants.def and policy in alloc/policy.c (tests/variants.cmake). It drives the
 * common layer (sl_central_cache / sl_central_uncache / sl_free) directly and through the
 * allocator, and checks span ownership, the full -> parked -> available edge, ABA
 * resistance and counter conservation. Sizes from the environment:
 *   SL_CONF_THREADS (8)  worker threads per phase
 *   SL_CONF_ITERS (20000) operations per worker per phase (a phase also stops at ...)
 *   SL_CONF_SECONDS (1)  ... this many seconds (a decimal fraction is fine)
 *   SL_CONF_ROUNDS (300) rounds of the parked-span edge test (parkrace: 100x as many)
 *   SL_CONF_SCALE (1)    multiplies all three sizes above (and the seconds): a soak sets
 *                        e.g. SL_CONF_SCALE=50 to make every phase 50 times longer
 * Phases: owner basic central park parkrace aba payload churn cycle adopt owners canary leaks
 * (default: all, in this order; canary does something only in -DSL_TSAN_CANARY builds,
 * where TSan must report; leaks, last, checks the heap is back to where it started).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "central.h"
#include "check.h"
#include "mcache.h"
#include "mheap.h"
#include "policy.h"
#include "scavenger.h"
#include "spanlab.h"
#include "stall.h"
#include "sweep.h"

static const char *variant;
static unsigned conf_threads, conf_rounds;
static unsigned long conf_iters;
static double conf_seconds;
static bool canary_build; /* -DSL_TSAN_CANARY: the variant races on purpose */
static bool sweep_mode;   /* the policy is sweep: full spans wait in sets, never park */
/* Drains take every span a set holds: under sweep also full ones (SL_CACHE_ANY). */
#define DRAIN_FLAGS (SL_CACHE_NOGROW | SL_CACHE_ANY)

/* A failure names the variant/policy under test. */
static void conf_on_fail(const char *line) {
    fprintf(stderr, "[%s] %s\n", variant, line);
    fflush(stderr);
}

static unsigned long env_ulong(const char *name, unsigned long dflt) {
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || *end || x == 0) {
        fprintf(stderr, "test_conformance: bad %s=%s\n", name, v);
        exit(2);
    }
    return x;
}

static double env_double(const char *name, double dflt) {
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    double x = strtod(v, &end);
    if (*end || !(x > 0)) {
        fprintf(stderr, "test_conformance: bad %s=%s\n", name, v);
        exit(2);
    }
    return x;
}

static uint64_t rng_next(uint64_t *x) { /* xorshift64* */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1DULL;
}

/* A cache identity for sl_central_cache: the address of a thread-local byte is unique among
 * live threads and never equals a real mcache's owner value. */
static __thread char owner_token;
static uintptr_t my_owner(void) {
    return (uintptr_t)&owner_token;
}

static void run_threads(unsigned n, void *(*fn)(void *), void *args, size_t argsize) {
    pthread_t *t = calloc(n, sizeof *t);
    REQUIRE(t != NULL, "calloc");
    for (unsigned i = 0; i < n; i++)
        REQUIRE(pthread_create(&t[i], NULL, fn, (char *)args + i * argsize) == 0, "pthread_create");
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    free(t);
}

/* --- Counter conservation ------------------------------------------------------------- */

/* Hold (true) or release (false) the allocator's background threads, so that a check that
 * needs quiescence sees no span in their hands: the sweeper (sweep policy) and the
 * scavenger, whose pass over the mcentrals takes every available span of a class and gives
 * it back. Without the scavenger hold a check can land inside such a pass: one span popped
 * and not yet counted as cached (variants whose pass is slow under contention, `spin` with
 * stalls, did it most). */
static void hold_background(bool hold) {
    if (hold) { /* the scavenger's lock comes first (alloc/scavenger.h) */
        sl_scavenger_hold(true);
        sl_sweep_hold(true);
    } else {
        sl_sweep_hold(false);
        sl_scavenger_hold(false);
    }
}

/* At quiescence, per class: grown - returned == cached + available + parked, and the
 * variant's available count equals the one derived from the common counters. */
static void check_conservation(const char *when) {
    hold_background(true);
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
        struct sl_central_counters c;
        sl_central_counters((int)spc, &c);
        uint64_t lhs = c.spans_grown - c.spans_returned;
        uint64_t rhs = c.spans_cached + c.spans_available + c.spans_parked;
        if (canary_build) /* it races on purpose; its counts may drift */
            continue;
        REQUIRE(lhs == rhs,
                "%s: class %u: grown %llu - returned %llu != cached %llu + available %llu + "
                "parked %llu",
                when, spc, (unsigned long long)c.spans_grown, (unsigned long long)c.spans_returned,
                (unsigned long long)c.spans_cached, (unsigned long long)c.spans_available,
                (unsigned long long)c.spans_parked);
        uint64_t derived = sl_central_available_derived(spc);
        REQUIRE(derived == c.spans_available,
                "%s: class %u: variant says %llu spans available, common counters say %llu", when,
                spc, (unsigned long long)c.spans_available, (unsigned long long)derived);
    }
    hold_background(false);
}

/* --- Independent ownership tags --------------------------------------------------------- */

/* span -> the test thread that holds it (0 = none), open addressing; keys never removed. */
#define TAG_SLOTS (1u << 16)
static struct {
    _Atomic(sl_span_t *) key;
    _Atomic uintptr_t holder;
} tags[TAG_SLOTS];

static _Atomic uintptr_t *tag_slot(sl_span_t *s) {
    unsigned h = (unsigned)(((uintptr_t)s >> 6) * 0x9E3779B1u) & (TAG_SLOTS - 1);
    for (unsigned i = 0; i < TAG_SLOTS; i++, h = (h + 1) & (TAG_SLOTS - 1)) {
        sl_span_t *k = atomic_load(&tags[h].key);
        if (k == NULL) {
            sl_span_t *none = NULL;
            if (atomic_compare_exchange_strong(&tags[h].key, &none, s))
                return &tags[h].holder;
            k = none;
        }
        if (k == s)
            return &tags[h].holder;
    }
    FAIL("ownership tag table full");
}

/* We just got s from sl_central_cache: nobody else may hold it. */
static void tag_take(sl_span_t *s, unsigned spc) {
    uintptr_t me = my_owner(), none = 0;
    REQUIRE(s->spanclass == spc, "span %p of class %u served for class %u", (void *)s, s->spanclass,
            spc);
    REQUIRE(sl_span_state(s) == SL_SPAN_CACHED, "span %p state %u after cache, want CACHED",
            (void *)s, sl_span_state(s));
    REQUIRE(atomic_load(&s->xowner) == me, "span %p xowner %#lx, want %#lx", (void *)s,
            (unsigned long)atomic_load(&s->xowner), (unsigned long)me);
    _Atomic uintptr_t *h = tag_slot(s);
    if (!atomic_compare_exchange_strong(h, &none, me))
        FAIL("span %p handed to %#lx while %#lx still holds it", (void *)s, (unsigned long)me,
             (unsigned long)none);
}

/* We are about to give s back. */
static void tag_drop(sl_span_t *s) {
    uintptr_t me = my_owner();
    _Atomic uintptr_t *h = tag_slot(s);
    uintptr_t cur = me;
    if (!atomic_compare_exchange_strong(h, &cur, 0))
        FAIL("span %p: tag says %#lx holds it, not %#lx", (void *)s, (unsigned long)cur,
             (unsigned long)me);
}

/* Owner-only helpers: make the span look partly used or all free to the sweep inside
 * sl_central_uncache (slots below freeindex count as allocated). */
static void span_mark_used(sl_span_t *s, unsigned n) {
    s->freeindex = (uint16_t)n;
}

/* One slot in use (so the span stays in the available set), where that leaves one free. */
static void span_mark_partial(sl_span_t *s) {
    if (s->nelems > 1)
        span_mark_used(s, 1);
}

static void span_mark_free(sl_span_t *s) {
    memset(s->alloc_bits, 0, sizeof s->alloc_bits);
    s->freeindex = 0;
}

/* Drain class spc without growing: returns the number of distinct spans found, and
 * gives them all back. Checks each is served once. */
static unsigned drain_count(unsigned spc, sl_span_t **out, unsigned max) {
    sl_span_t *local[1024];
    if (!out) {
        out = local;
        max = 1024;
    }
    unsigned n = 0;
    for (;;) {
        sl_span_t *s = sl_central_cache(spc, my_owner(), DRAIN_FLAGS);
        if (!s)
            break;
        REQUIRE(n < max, "class %u: more than %u spans drained", spc, max);
        tag_take(s, spc);
        for (unsigned i = 0; i < n; i++)
            REQUIRE(out[i] != s, "class %u: span %p served twice while held", spc, (void *)s);
        out[n++] = s;
    }
    return n;
}

static void give_back_all(sl_span_t **v, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        tag_drop(v[i]);
        sl_central_uncache(v[i], my_owner());
    }
}

/* The variant's count vs what can actually be taken out (retrying briefly for variants
 * that defer reuse, e.g. behind a grace period). */
static void check_drain_matches(unsigned spc, const char *when) {
    sl_span_t *v[1024];
    struct sl_central_counters c;
    unsigned n = 0;
    for (int tries = 0; tries < 200; tries++) {
        sl_central_counters((int)spc, &c);
        unsigned k = drain_count(spc, v + n, 1024 - n);
        n += k;
        sl_central_counters((int)spc, &c);
        if (c.spans_available == 0)
            break;
        usleep(5000);
    }
    REQUIRE(canary_build || c.spans_available == 0,
            "%s: class %u: %llu spans counted available after a drain", when, spc,
            (unsigned long long)c.spans_available);
    give_back_all(v, n);
}

/* --- Phase owner: the common layer's two-owner check fires ----------------------------- */

static void phase_owner(void) {
#ifdef SL_HAVE_TSAN
    /* fork() runs the atfork handlers, which hold every class lock at once: more than the
     * 64 locks TSan's deadlock detector can track (it CHECK-fails and hangs). */
    printf("  owner: skipped under TSan\n");
    return;
#endif
    const unsigned spc = 2 * 12; /* a class no other phase uses before this one */
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        sl_span_t *s = sl_central_cache(spc, my_owner(), 0);
        if (!s)
            _exit(3);
        span_mark_used(s, 1); /* partial: stays in the available set */
        sl_central_uncache(s, my_owner());
        /* A stale owner left behind: the next sl_central_cache of s must refuse it. */
        atomic_store(&s->xowner, (uintptr_t)0xbad0);
        for (int i = 0; i < 1000; i++) {
            sl_span_t *t = sl_central_cache(spc, my_owner() + 1, SL_CACHE_NOGROW);
            if (t)
                _exit(4); /* served without the abort */
            usleep(1000);
        }
        _exit(5); /* never served again */
    }
    close(pipefd[1]);
    char buf[4096];
    size_t len = 0;
    ssize_t r;
    while ((r = read(pipefd[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(pipefd[0]);
    int st;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    REQUIRE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
            "a span with a stale owner was served without abort (child status %#x): %s", st, buf);
    REQUIRE(strstr(buf, "owned by two caches") != NULL, "abort without the owner message: %s", buf);
}

/* --- Phase basic: every class once, single-threaded ------------------------------------- */

static void phase_basic(void) {
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
        if (spc == SL_TINY_SPAN_CLASS)
            continue;
        sl_span_t *a = sl_central_cache(spc, my_owner(), 0);
        REQUIRE(a != NULL, "class %u: no span", spc);
        tag_take(a, spc);
        sl_span_t *b = sl_central_cache(spc, my_owner(), 0);
        REQUIRE(b != NULL && b != a, "class %u: second span %p (first %p)", spc, (void *)b,
                (void *)a);
        tag_take(b, spc);
        REQUIRE(a->nelems > 0 && a->alloc_count < a->nelems, "class %u: span with no free slot",
                spc);
        span_mark_partial(a);
        tag_drop(a);
        sl_central_uncache(a, my_owner());
        /* TRANSIT: a variant may publish later (e.g. after a grace period). */
        uint32_t st = sl_span_state(a);
        REQUIRE(st == SL_SPAN_AVAILABLE || st == SL_SPAN_TRANSIT || st == SL_SPAN_CACHED,
                "class %u: partial span given back is in state %u", spc, st);
        tag_drop(b);
        sl_central_uncache(b, my_owner());
        sl_span_t *c = sl_central_cache(spc, my_owner(), SL_CACHE_NOGROW);
        for (int tries = 0; !c && tries < 200; tries++) {
            usleep(1000); /* variants that defer reuse */
            c = sl_central_cache(spc, my_owner(), SL_CACHE_NOGROW);
        }
        REQUIRE(c == a || c == b, "class %u: NOGROW served %p, not one of ours", spc, (void *)c);
        tag_take(c, spc);
        span_mark_free(c);
        tag_drop(c);
        sl_central_uncache(c, my_owner());
    }
    check_conservation("basic");
}

/* --- Phase central: many threads on cache/uncache ---------------------------------------- */

static const unsigned central_classes[] = {2, 11, 40, 81, 134};
#define NCENTRAL (sizeof central_classes / sizeof central_classes[0])
#define HOLD_MAX 4

struct worker {
    unsigned id;
    unsigned long ops;
    double deadline;
    unsigned spc;
    sl_span_t **set; /* aba: the seeded spans */
    unsigned nset;
};

/* While we hold a span, our tag is written into its first object and must survive. */
static void scribble(sl_span_t *s) {
    if (s->alloc_bits[0] & 1)
        return;
    *(volatile uintptr_t *)s->base = my_owner();
    s->needzero = true;
}

static void check_scribble(sl_span_t *s) {
    if (s->alloc_bits[0] & 1)
        return;
    uintptr_t v = *(volatile uintptr_t *)s->base;
    REQUIRE(v == my_owner(), "span %p: object 0 overwritten (%#lx) while we held it", (void *)s,
            (unsigned long)v);
}

static void *central_worker(void *arg) {
    struct worker *w = arg;
    uint64_t rng = 0x9E3779B97F4A7C15ULL * (w->id + 1);
    sl_span_t *held[HOLD_MAX];
    unsigned nheld = 0;
    unsigned long i;
    for (i = 0; i < conf_iters; i++) {
        if ((i & 255) == 0 && now_s() > w->deadline)
            break;
        uint64_t r = rng_next(&rng);
        if (nheld < HOLD_MAX && (nheld == 0 || (r & 1))) {
            unsigned spc = central_classes[(r >> 8) % NCENTRAL];
            sl_span_t *s = sl_central_cache(spc, my_owner(), 0);
            REQUIRE(s != NULL, "class %u: cache failed: %s", spc, strerror(errno));
            tag_take(s, spc);
            scribble(s);
            held[nheld++] = s;
        } else {
            unsigned k = (unsigned)(r >> 16) % nheld;
            sl_span_t *s = held[k];
            held[k] = held[--nheld];
            check_scribble(s);
            if ((r >> 32) % 8 == 0)
                span_mark_partial(s); /* some partial spans too */
            tag_drop(s);
            sl_central_uncache(s, my_owner());
        }
    }
    while (nheld) {
        sl_span_t *s = held[--nheld];
        check_scribble(s);
        tag_drop(s);
        sl_central_uncache(s, my_owner());
    }
    w->ops = i;
    return NULL;
}

static void phase_central(void) {
    struct worker *w = calloc(conf_threads, sizeof *w);
    double t0 = now_s();
    for (unsigned i = 0; i < conf_threads; i++)
        w[i] = (struct worker){.id = i, .deadline = t0 + conf_seconds};
    run_threads(conf_threads, central_worker, w, sizeof *w);
    double dt = now_s() - t0;
    unsigned long ops = 0;
    for (unsigned i = 0; i < conf_threads; i++)
        ops += w[i].ops;
    free(w);
    printf("  central: %u threads, %lu cache+uncache ops in %.2f s (%.2f Mops/s)\n", conf_threads,
           ops, dt, (double)ops / dt / 1e6);
    check_conservation("central");
    for (unsigned i = 0; i < NCENTRAL; i++)
        check_drain_matches(central_classes[i], "central");
    check_conservation("central drained");
}

/* --- Phase park: full -> parked -> available exactly once, by remote sl_free ----------- */

static pthread_barrier_t park_bar;
static sl_span_t *_Atomic park_span;
static _Atomic int park_done;

static void *park_freer(void *arg) {
    unsigned id = *(unsigned *)arg;
    for (;;) {
        pthread_barrier_wait(&park_bar); /* span parked (or done) */
        if (atomic_load(&park_done))
            return NULL;
        sl_span_t *s = atomic_load(&park_span);
        if (id < s->nelems)
            sl_free(sl_span_obj(s, s->nelems - 1 - id));
        pthread_barrier_wait(&park_bar); /* frees done */
    }
}

static void park_round(unsigned spc, unsigned nfreers) {
    sl_span_t *s = sl_central_cache(spc, my_owner(), 0);
    REQUIRE(s != NULL, "class %u: cache failed", spc);
    tag_take(s, spc);
    span_mark_used(s, s->nelems); /* every slot allocated */
    struct sl_central_counters c0, c1, c2;
    sl_central_counters((int)spc, &c0);
    tag_drop(s);
    sl_central_uncache(s, my_owner());
    sl_central_counters((int)spc, &c1);
    REQUIRE(sl_span_state(s) == SL_SPAN_PARKED, "class %u: full span %p state %u, want PARKED", spc,
            (void *)s, sl_span_state(s));
    REQUIRE(c1.spans_parked == c0.spans_parked + 1, "class %u: spans_parked %llu -> %llu", spc,
            (unsigned long long)c0.spans_parked, (unsigned long long)c1.spans_parked);
    atomic_store(&park_span, s);
    pthread_barrier_wait(&park_bar); /* freers go */
    pthread_barrier_wait(&park_bar); /* freers done */
    sl_central_counters((int)spc, &c2);
    unsigned nfreed = nfreers < s->nelems ? nfreers : s->nelems;
    REQUIRE(c2.put_available_calls == c1.put_available_calls + 1,
            "class %u: %u remote frees into a parked span made it available %llu times", spc,
            nfreed, (unsigned long long)(c2.put_available_calls - c1.put_available_calls));
    REQUIRE(c2.spans_parked == c0.spans_parked, "class %u: still %llu parked", spc,
            (unsigned long long)c2.spans_parked);
    /* TRANSIT: a set may publish later (e.g. after a grace period); the take below waits. */
    uint32_t st = sl_span_state(s);
    REQUIRE(st == SL_SPAN_AVAILABLE || st == SL_SPAN_TRANSIT,
            "class %u: unparked span %p state %u, want AVAILABLE", spc, (void *)s, st);
    /* Take it back: the only span of this class in the available set. */
    sl_span_t *t = sl_central_cache(spc, my_owner(), SL_CACHE_NOGROW);
    for (int tries = 0; !t && tries < 200; tries++) {
        usleep(1000); /* variants that defer reuse */
        t = sl_central_cache(spc, my_owner(), SL_CACHE_NOGROW);
    }
    REQUIRE(t == s, "class %u: NOGROW served %p, want the unparked %p", spc, (void *)t, (void *)s);
    tag_take(t, spc);
    REQUIRE(t->alloc_count == t->nelems - nfreed, "class %u: %u of %u in use after %u frees", spc,
            t->alloc_count, t->nelems, nfreed);
    span_mark_free(t);
    tag_drop(t);
    sl_central_uncache(t, my_owner());
}

/* Under sweep the same edge is Go's: the full span goes to the swept full set and stays
 * there through the remote frees (no state change, no unpark: a free only sets its bit);
 * it is not served before the next cycle, then cacheSpan sweeps it and serves it with
 * exactly the freed slots. */
static void sweep_round(unsigned spc, unsigned nfreers) {
    sl_span_t *s = sl_central_cache(spc, my_owner(), 0);
    REQUIRE(s != NULL, "class %u: cache failed", spc);
    tag_take(s, spc);
    span_mark_used(s, s->nelems);
    struct sl_central_counters c0, c1, c2;
    tag_drop(s);
    sl_central_uncache(s, my_owner());
    sl_central_counters((int)spc, &c0);
    uint32_t st0 = sl_span_state(s);
    REQUIRE(st0 == SL_SPAN_AVAILABLE || st0 == SL_SPAN_TRANSIT,
            "class %u: full span %p state %u after uncache, want AVAILABLE (full swept set)", spc,
            (void *)s, st0);
    REQUIRE(c0.spans_parked == 0, "class %u: %llu spans parked under sweep", spc,
            (unsigned long long)c0.spans_parked);
    atomic_store(&park_span, s);
    pthread_barrier_wait(&park_bar); /* freers go */
    pthread_barrier_wait(&park_bar); /* freers done */
    unsigned nfreed = nfreers < s->nelems ? nfreers : s->nelems;
    sl_central_counters((int)spc, &c1);
    REQUIRE(c1.put_available_calls == c0.put_available_calls && c1.spans_parked == 0,
            "class %u: remote frees moved a span under sweep", spc);
    uint32_t st1 = sl_span_state(s);
    REQUIRE(st1 == SL_SPAN_AVAILABLE || st1 == SL_SPAN_TRANSIT,
            "class %u: %u frees changed span %p's state to %u", spc, nfreed, (void *)s, st1);
    sl_sweep_hold(true); /* we sweep s ourselves below, not the background sweeper */
    for (int i = 0; i < 20; i++) {
        sl_span_t *early = sl_central_cache(spc, my_owner(), SL_CACHE_NOGROW);
        REQUIRE(early == NULL, "class %u: span %p served before the next sweep cycle", spc,
                (void *)early);
    }
    sl_sweep_new_cycle();
    sl_span_t *t = sl_central_cache(spc, my_owner(), SL_CACHE_NOGROW);
    for (int tries = 0; !t && tries < 200; tries++) {
        usleep(1000); /* variants that defer reuse */
        t = sl_central_cache(spc, my_owner(), SL_CACHE_NOGROW);
    }
    sl_sweep_hold(false);
    REQUIRE(t == s, "class %u: NOGROW served %p after a new cycle, want the full span %p", spc,
            (void *)t, (void *)s);
    tag_take(t, spc);
    sl_central_counters((int)spc, &c2);
    REQUIRE(t->alloc_count == t->nelems - nfreed, "class %u: %u of %u in use after %u frees", spc,
            t->alloc_count, t->nelems, nfreed);
    REQUIRE(c2.swept_alloc == c1.swept_alloc + 1 &&
                c2.sweep_reclaimed == c1.sweep_reclaimed + nfreed,
            "class %u: swept_alloc %llu -> %llu, reclaimed %llu -> %llu (want +1, +%u)", spc,
            (unsigned long long)c1.swept_alloc, (unsigned long long)c2.swept_alloc,
            (unsigned long long)c1.sweep_reclaimed, (unsigned long long)c2.sweep_reclaimed, nfreed);
    REQUIRE(c2.sweep_cycles == c1.sweep_cycles + 1, "sweep cycles %llu -> %llu",
            (unsigned long long)c1.sweep_cycles, (unsigned long long)c2.sweep_cycles);
    span_mark_free(t);
    tag_drop(t);
    sl_central_uncache(t, my_owner());
}

static void phase_park(void) {
    const unsigned nfreers = conf_threads < 2 ? 2 : conf_threads;
    /* 32 KiB (1 object per span) and a mid class with many objects per span. */
    const unsigned park_classes[] = {2 * 67 + 1, 2 * 30};
    /* Earlier spans of these classes stay with us, so the unparked span is the only one. */
    sl_span_t *aside[2][512];
    unsigned naside[2];
    for (unsigned k = 0; k < 2; k++)
        naside[k] = drain_count(park_classes[k], aside[k], 512);
    REQUIRE(pthread_barrier_init(&park_bar, NULL, nfreers + 1) == 0, "barrier");
    unsigned *ids = calloc(nfreers, sizeof *ids);
    pthread_t *t = calloc(nfreers, sizeof *t);
    for (unsigned i = 0; i < nfreers; i++) {
        ids[i] = i;
        REQUIRE(pthread_create(&t[i], NULL, park_freer, &ids[i]) == 0, "pthread_create");
    }
    double t0 = now_s();
    unsigned rounds = 0;
    for (; rounds < conf_rounds && now_s() < t0 + conf_seconds; rounds++)
        (sweep_mode ? sweep_round : park_round)(park_classes[rounds & 1], nfreers);
    atomic_store(&park_done, 1);
    pthread_barrier_wait(&park_bar);
    for (unsigned i = 0; i < nfreers; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&park_bar);
    for (unsigned k = 0; k < 2; k++)
        give_back_all(aside[k], naside[k]);
    free(ids);
    free(t);
    printf("  park: %u rounds, %u remote freers each\n", rounds, nfreers);
    check_conservation("park");
}

/* --- Phase parkrace: a remote free lands while the owner parks --------------------------- */

/* The owner gives back a full span while another thread frees one of its objects, the
 * two started together. The owner delays its uncache by a skew that follows the race: a
 * round where the free came after the park (the span was unparked) lengthens it, one where
 * it came before the sweep (no park) shortens it, so the free keeps landing around the
 * owner's sweep and PARKED store, with some jitter. Whatever the order, the span must not
 * stay parked with the free pending: that is the lost wake-up the owner's re-check after
 * its PARKED store prevents (model park.cc). The race needs the two threads on two CPUs at
 * once; on a machine busy with other work fewer rounds come close. */
static _Atomic unsigned long race_go, race_done;
static void *_Atomic race_obj;

static void spin_until(_Atomic unsigned long *v, unsigned long want) {
    for (unsigned n = 0; atomic_load_explicit(v, memory_order_acquire) != want; n++)
        if (n % 256 == 255)
            sched_yield();
}

static void skew(unsigned n) {
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

#define RACE_STOP (~0UL) /* race_go: the owner stopped early (its time is up) */

static void *race_freer(void *arg) {
    unsigned long *rounds = arg;
    uint64_t rng = 0xFEEDFACEULL;
    for (unsigned long r = 1; r <= *rounds; r++) {
        unsigned long go;
        for (unsigned n = 0;
             (go = atomic_load_explicit(&race_go, memory_order_acquire)) != r && go != RACE_STOP;
             n++)
            if (n % 256 == 255)
                sched_yield();
        if (go == RACE_STOP)
            break;
        void *p = atomic_load_explicit(&race_obj, memory_order_relaxed);
        if (p) {
            skew((unsigned)(rng_next(&rng) % 96));
            sl_free(p);
        }
        atomic_store_explicit(&race_done, r, memory_order_release);
    }
    return NULL;
}

static void phase_parkrace(void) {
    if (sweep_mode) { /* Go's flow: a free never changes a span's state, nothing parks */
        printf("  parkrace: not applicable under sweep (no span is ever parked)\n");
        return;
    }
    const unsigned race_classes[] = {2 * 67 + 1, 2 * 30}; /* 1 object per span; many */
    unsigned long rounds = (unsigned long)conf_rounds * 100, r, late = 0;
    double t0 = now_s();
    uint64_t rng = 0xC0FFEEULL;
    long center = 256; /* the owner's skew, in spins */
    atomic_store(&race_go, 0);
    atomic_store(&race_done, 0);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, race_freer, &rounds) == 0, "pthread_create");
    for (r = 1; r <= rounds; r++) {
        bool stop = (r & 15) == 0 && now_s() > t0 + conf_seconds;
        unsigned spc = race_classes[r & 1];
        sl_span_t *s = stop ? NULL : sl_central_cache(spc, my_owner(), 0);
        REQUIRE(stop || s != NULL, "class %u: cache failed", spc);
        if (s) {
            tag_take(s, spc);
            span_mark_used(s, s->nelems); /* full: uncache parks it */
            tag_drop(s);
        }
        atomic_store_explicit(&race_obj, s ? sl_span_obj(s, s->nelems - 1) : NULL,
                              memory_order_relaxed);
        atomic_store_explicit(&race_go, r, memory_order_release);
        if (!s) {
            spin_until(&race_done, r);
            break;
        }
        long k = center + (long)(rng_next(&rng) % 128) - 64;
        struct sl_central_counters c0, c1;
        sl_central_counters((int)spc, &c0);
        skew(k > 0 ? (unsigned)k : 0);
        sl_central_uncache(s, my_owner());
        spin_until(&race_done, r);
        sl_central_counters((int)spc, &c1);
        bool unparked = c1.put_available_calls != c0.put_available_calls;
        late += unparked;
        center += unparked ? 4 : -4;
        center = center < 0 ? 0 : center > 65536 ? 65536 : center;
        /* Both done: nobody else touches s now. A parked span with a free pending stays
         * parked forever. */
        if (sl_span_state(s) == SL_SPAN_PARKED) {
            uint64_t pending = 0;
            for (unsigned w = 0; w < SL_SPAN_WORDS; w++)
                pending |= atomic_load(&s->xfree_bits[w]);
            REQUIRE(pending == 0,
                    "class %u: round %lu: span %p stays PARKED with a remote free pending (a lost "
                    "wake-up)",
                    spc, r, (void *)s);
        }
    }
    if (r <= rounds) /* stopped early: so does the freer (round r was its last) */
        atomic_store_explicit(&race_go, RACE_STOP, memory_order_release);
    pthread_join(t, NULL);
    printf("  parkrace: %lu rounds of park vs remote free in %.2f s (%lu freed after the park, "
           "final skew %ld)\n",
           r - 1, now_s() - t0, late, center);
    check_conservation("parkrace");
}

/* --- Phase aba: few spans, many threads, pop/push back to back --------------------------- */

#define ABA_SPANS 3

static void *aba_worker(void *arg) {
    struct worker *w = arg;
    unsigned long i, got = 0;
    for (i = 0; i < conf_iters * 4; i++) {
        if ((i & 63) == 0 && now_s() > w->deadline)
            break;
        sl_span_t *s = sl_central_cache(w->spc, my_owner(), SL_CACHE_NOGROW);
        if (!s)
            continue;
        tag_take(s, w->spc);
        bool known = false;
        for (unsigned k = 0; k < w->nset; k++)
            known |= w->set[k] == s;
        REQUIRE(known, "class %u: span %p is not one of the %u seeded", w->spc, (void *)s, w->nset);
        got++;
        tag_drop(s);
        sl_central_uncache(s, my_owner());
    }
    w->ops = got;
    return NULL;
}

static void phase_aba(void) {
    const unsigned spc = 2 * 8 + 1;
    sl_span_t *seed[ABA_SPANS], *after[1024], *aside[1024];
    /* Spans of this class from earlier phases stay with us meanwhile. */
    unsigned naside = drain_count(spc, aside, 1024);
    for (unsigned i = 0; i < ABA_SPANS; i++) {
        seed[i] = sl_central_cache(spc, my_owner(), 0);
        REQUIRE(seed[i] != NULL, "cache");
        tag_take(seed[i], spc);
        span_mark_used(seed[i], 1); /* partial: never returned to the mheap */
    }
    give_back_all(seed, ABA_SPANS);
    struct sl_central_counters c0, c1;
    sl_central_counters((int)spc, &c0);
    struct worker *w = calloc(conf_threads, sizeof *w);
    double t0 = now_s();
    for (unsigned i = 0; i < conf_threads; i++)
        w[i] = (struct worker){
            .id = i, .deadline = t0 + conf_seconds, .spc = spc, .set = seed, .nset = ABA_SPANS};
    run_threads(conf_threads, aba_worker, w, sizeof *w);
    unsigned long ops = 0;
    for (unsigned i = 0; i < conf_threads; i++)
        ops += w[i].ops;
    free(w);
    sl_central_counters((int)spc, &c1);
    REQUIRE(c1.spans_grown == c0.spans_grown, "class %u grew during a NOGROW-only phase", spc);
    unsigned n = 0;
    for (int tries = 0; tries < 200 && n < ABA_SPANS; tries++) {
        n += drain_count(spc, after + n, 1024 - n);
        if (n < ABA_SPANS)
            usleep(5000);
    }
    REQUIRE(n == ABA_SPANS, "class %u: %u spans came back out of %u seeded (lost or duplicated)",
            spc, n, ABA_SPANS);
    for (unsigned i = 0; i < n; i++)
        span_mark_free(after[i]);
    give_back_all(after, n);
    give_back_all(aside, naside);
    printf("  aba: %u threads, %lu claims of %u spans, %llu CAS retries\n", conf_threads, ops,
           ABA_SPANS, (unsigned long long)(c1.cas_retries - c0.cas_retries));
    check_conservation("aba");
}

/* --- Phase payload: the allocator under this variant, with remote frees ------------------ */

static uint64_t pattern_seed(const void *p, size_t n) {
    return ((uintptr_t)p * 0x9E3779B97F4A7C15ULL) ^ (n * 0xC2B2AE3D27D4EB4FULL);
}

static void fill(void *p, size_t n) {
    uint64_t seed = pattern_seed(p, n);
    size_t words = n / 8;
    for (size_t i = 0; i < words; i++) { /* memcpy: a tiny object may be unaligned */
        uint64_t v = seed + i;
        memcpy((unsigned char *)p + 8 * i, &v, sizeof v);
    }
    for (size_t i = words * 8; i < n; i++)
        ((unsigned char *)p)[i] = (unsigned char)(seed >> (8 * (i % 8)));
}

/* Checks the first `upto` bytes of the pattern fill(p_was, n) wrote (p may have moved). */
static void verify(const void *p, const void *p_was, size_t n, size_t upto) {
    uint64_t seed = pattern_seed(p_was, n);
    size_t words = upto / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, (const unsigned char *)p + 8 * i, sizeof w); /* may be unaligned */
        if (w != seed + i)
            FAIL("object %p (size %zu): word %zu is %#llx, want %#llx", p, n, i,
                 (unsigned long long)w, (unsigned long long)(seed + i));
    }
    for (size_t i = words * 8; i < upto; i++) {
        uint64_t v = i < n / 8 * 8 ? seed + i / 8 : seed; /* a word's byte, or the tail */
        if (((const unsigned char *)p)[i] != (unsigned char)(v >> (8 * (i % 8))))
            FAIL("object %p (size %zu): byte %zu corrupted", p, n, i);
    }
}

struct obj {
    void *p;
    size_t n;
};

#define MAILBOX 512
struct mailbox {
    pthread_mutex_t m;
    unsigned n;
    struct obj o[MAILBOX];
};
static struct mailbox *mailboxes;

static size_t pick_size(uint64_t r) {
    unsigned k = r % 100;
    if (k < 60)
        return 1 + (r >> 8) % 256;
    if (k < 90)
        return 1 + (r >> 8) % 4096;
    if (k < 98)
        return 1 + (r >> 8) % 32768;
    return 32769 + (r >> 8) % (256 * 1024 - 32768);
}

static void obj_free(struct obj o) {
    verify(o.p, o.p, o.n, o.n);
    sl_free(o.p);
}

static void drain_mailbox(struct mailbox *mb) {
    struct obj tmp[MAILBOX];
    pthread_mutex_lock(&mb->m);
    unsigned n = mb->n;
    memcpy(tmp, mb->o, n * sizeof tmp[0]);
    mb->n = 0;
    pthread_mutex_unlock(&mb->m);
    for (unsigned i = 0; i < n; i++)
        obj_free(tmp[i]);
}

static bool post(struct mailbox *mb, struct obj o) {
    bool ok = false;
    pthread_mutex_lock(&mb->m);
    if (mb->n < MAILBOX) {
        mb->o[mb->n++] = o;
        ok = true;
    }
    pthread_mutex_unlock(&mb->m);
    return ok;
}

static struct obj obj_new(uint64_t *rng) {
    uint64_t r = rng_next(rng);
    size_t n = pick_size(r >> 3);
    struct obj o = {NULL, n};
    switch (r % 8) {
    case 0: {
        size_t cnt = 1 + n / 16, sz = (n + cnt - 1) / cnt;
        o.p = sl_calloc(cnt, sz);
        o.n = cnt * sz;
        REQUIRE(o.p != NULL, "calloc(%zu, %zu)", cnt, sz);
        for (size_t i = 0; i < o.n; i++)
            REQUIRE(((unsigned char *)o.p)[i] == 0, "calloc(%zu, %zu) = %p: byte %zu not zero", cnt,
                    sz, o.p, i);
        break;
    }
    case 1: {
        size_t align = (size_t)16 << ((r >> 40) % 9); /* 16 .. 4096 */
        o.p = sl_aligned_alloc(align, n);
        REQUIRE(o.p != NULL && ((uintptr_t)o.p & (align - 1)) == 0, "aligned_alloc(%zu, %zu) = %p",
                align, n, o.p);
        break;
    }
    case 2: /* pointer-free: under 16 bytes a tiny object sharing a block */
        o.n = n = 1 + (r >> 24) % 24;
        o.p = sl_malloc_noscan(n);
        REQUIRE(o.p != NULL, "malloc_noscan(%zu)", n);
        break;
    default:
        o.p = sl_malloc(n);
        REQUIRE(o.p != NULL, "malloc(%zu)", n);
    }
    REQUIRE(sl_usable_size(o.p) >= o.n, "usable_size(%p) = %zu < %zu", o.p, sl_usable_size(o.p),
            o.n);
    fill(o.p, o.n);
    return o;
}

#define LIVE 256

/* One allocating thread's life; `mine` and `next` are mailboxes (next may be NULL). */
static unsigned long payload_loop(uint64_t seed, unsigned long iters, double deadline,
                                  struct mailbox *mine, struct mailbox *next) {
    struct obj live[LIVE] = {{0}};
    uint64_t rng = seed | 1;
    unsigned long i;
    for (i = 0; i < iters; i++) {
        if ((i & 127) == 0) {
            if (now_s() > deadline)
                break;
            if (mine)
                drain_mailbox(mine);
        }
        uint64_t r = rng_next(&rng);
        struct obj *o = &live[r % LIVE];
        if (o->p && (r >> 20) % 8 == 0) { /* realloc, keeping the old prefix */
            size_t nn = pick_size(r >> 24);
            void *old = o->p;
            void *np = sl_realloc(o->p, nn);
            REQUIRE(np != NULL, "realloc(%p, %zu)", old, nn);
            verify(np, old, o->n, nn < o->n ? nn : o->n);
            o->p = np;
            o->n = nn;
            fill(np, nn);
            continue;
        }
        if (o->p) {
            if (next && (r >> 12) % 4 == 0 && post(next, *o)) /* a quarter freed elsewhere */
                ;
            else
                obj_free(*o);
            o->p = NULL;
        }
        *o = obj_new(&rng);
    }
    for (unsigned k = 0; k < LIVE; k++)
        if (live[k].p)
            obj_free(live[k]);
    return i;
}

static void *payload_worker(void *arg) {
    struct worker *w = arg;
    w->ops = payload_loop(0xA5A5A5A5ULL * (w->id + 1), conf_iters, w->deadline, &mailboxes[w->id],
                          &mailboxes[(w->id + 1) % conf_threads]);
    return NULL;
}

static void mailboxes_init(unsigned n) {
    mailboxes = calloc(n, sizeof *mailboxes);
    REQUIRE(mailboxes != NULL, "calloc");
    for (unsigned i = 0; i < n; i++)
        pthread_mutex_init(&mailboxes[i].m, NULL);
}

static void mailboxes_fini(unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        drain_mailbox(&mailboxes[i]);
        pthread_mutex_destroy(&mailboxes[i].m);
    }
    free(mailboxes);
    mailboxes = NULL;
}

static void phase_payload(void) {
    mailboxes_init(conf_threads);
    struct worker *w = calloc(conf_threads, sizeof *w);
    double t0 = now_s();
    for (unsigned i = 0; i < conf_threads; i++)
        w[i] = (struct worker){.id = i, .deadline = t0 + conf_seconds};
    run_threads(conf_threads, payload_worker, w, sizeof *w);
    unsigned long ops = 0;
    for (unsigned i = 0; i < conf_threads; i++)
        ops += w[i].ops;
    free(w);
    mailboxes_fini(conf_threads);
    sl_thread_exit(); /* the main thread's frees above may have given it a cache */
    printf("  payload: %u threads, %lu operations in %.2f s\n", conf_threads, ops, now_s() - t0);
    check_conservation("payload");
}

/* --- Phase churn: short-lived threads come and go while others allocate ------------------ */

static _Atomic int churn_stop;

static void *churn_steady(void *arg) {
    struct worker *w = arg;
    unsigned long ops = 0;
    while (!atomic_load(&churn_stop))
        ops += payload_loop(0x1234567ULL * (w->id + 1) + ops, 2000, 1e300, &mailboxes[w->id],
                            &mailboxes[(w->id + 1) % 2]);
    w->ops = ops;
    return NULL;
}

static void *churn_short(void *arg) {
    struct worker *w = arg;
    /* Its objects go to the steady threads' mailboxes, so they outlive this thread. */
    w->ops = payload_loop(0x7777ULL * (w->id + 1), 300 + w->id % 7 * 100, 1e300, NULL,
                          &mailboxes[w->id % 2]);
    if (w->id % 3 == 0)
        sl_thread_exit(); /* the early flush; exit flushes the rest */
    return NULL;
}

static void phase_churn(void) {
    mailboxes_init(2);
    atomic_store(&churn_stop, 0);
    struct worker steady[2] = {{.id = 0}, {.id = 1}};
    pthread_t st[2];
    for (unsigned i = 0; i < 2; i++)
        REQUIRE(pthread_create(&st[i], NULL, churn_steady, &steady[i]) == 0, "pthread_create");
    double t0 = now_s();
    unsigned waves = 0, per = conf_threads > 2 ? conf_threads - 2 : 1;
    struct worker *w = calloc(per, sizeof *w);
    for (; now_s() < t0 + conf_seconds && waves < 1000; waves++) {
        for (unsigned i = 0; i < per; i++)
            w[i] = (struct worker){.id = waves * per + i};
        run_threads(per, churn_short, w, sizeof *w);
    }
    free(w);
    atomic_store(&churn_stop, 1);
    for (unsigned i = 0; i < 2; i++)
        pthread_join(st[i], NULL);
    mailboxes_fini(2);
    sl_thread_exit();
    printf("  churn: %u waves of %u short-lived threads beside 2 steady ones\n", waves, per);
    check_conservation("churn");
}

/* --- Phase cycle: memory freed by other threads is reused (any policy) ------------------ */

/* A producer allocates batches of 1 KiB objects, a consumer frees each batch remotely
 * while the next is allocated: 30 batches of 4 MiB, at most two live. Every policy must
 * reuse that memory (the heap in use stays bounded; without reuse it would reach 120
 * MiB); under sweep it is reused through sweep cycles, which must have run and reclaimed
 * objects. */
#define CYCLE_BATCH  4096
#define CYCLE_ROUNDS 30
static void *cycle_batch[2][CYCLE_BATCH];
static pthread_barrier_t cycle_bar;

static void *cycle_consumer(void *arg) {
    (void)arg;
    for (unsigned r = 0; r < CYCLE_ROUNDS; r++) {
        pthread_barrier_wait(&cycle_bar); /* batch r is allocated */
        for (unsigned i = 0; i < CYCLE_BATCH; i++)
            sl_free(cycle_batch[r & 1][i]);
        pthread_barrier_wait(&cycle_bar); /* batch r is freed */
    }
    return NULL;
}

static void phase_cycle(void) {
    struct sl_central_counters c0, c1;
    sl_central_counters(-1, &c0);
    REQUIRE(pthread_barrier_init(&cycle_bar, NULL, 2) == 0, "barrier");
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, cycle_consumer, NULL) == 0, "pthread_create");
    size_t peak = 0;
    for (unsigned r = 0; r < CYCLE_ROUNDS; r++) {
        for (unsigned i = 0; i < CYCLE_BATCH; i++) {
            void *p = sl_malloc(1024);
            REQUIRE(p != NULL, "malloc");
            memset(p, (int)r, 64);
            cycle_batch[r & 1][i] = p;
        }
        if (r > 0)
            pthread_barrier_wait(&cycle_bar); /* batch r - 1 freed */
        struct sl_stats st;
        sl_stats(&st);
        peak = st.heap_inuse > peak ? st.heap_inuse : peak;
        pthread_barrier_wait(&cycle_bar); /* consumer: free batch r */
    }
    pthread_barrier_wait(&cycle_bar);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&cycle_bar);
    sl_central_counters(-1, &c1);
    printf("  cycle: heap in use peaked at %.1f MiB; %llu sweep cycles, %llu + %llu spans "
           "swept (allocation path + background), %llu objects reclaimed\n",
           (double)peak / (1 << 20), (unsigned long long)(c1.sweep_cycles - c0.sweep_cycles),
           (unsigned long long)(c1.swept_alloc - c0.swept_alloc),
           (unsigned long long)(c1.swept_bg - c0.swept_bg),
           (unsigned long long)(c1.sweep_reclaimed - c0.sweep_reclaimed));
    REQUIRE(peak < ((size_t)64 << 20), "heap in use reached %zu bytes: freed memory not reused",
            peak);
    if (sweep_mode)
        REQUIRE(c1.sweep_cycles > c0.sweep_cycles && c1.sweep_reclaimed > c0.sweep_reclaimed,
                "no sweep cycle reclaimed anything (%llu cycles)",
                (unsigned long long)(c1.sweep_cycles - c0.sweep_cycles));
    check_conservation("cycle");
}

/* --- Phase owners: the ownership invariant, walked over the whole heap ----------------- */

/* INVARIANT (span.h): every live small span belongs to exactly one of {an mcache (current
 * span or home list), the mcentral (a set, or parked), a thread moving it, the mheap}.
 * At quiescence this checks it without trusting any counter: it empties every set (the
 * spans drained are then ours), walks the page -> span map over every arena, and requires
 * each live small span to be exactly one of: drained by us, PARKED, or CACHED by a live
 * cache whose own record (current spans and home lists, taken by its thread) lists it
 * exactly once. Nothing may be in motion (TRANSIT, AVAILABLE) and the number found must
 * equal spans_grown - spans_returned. Run with threads holding caches, across fork() (in
 * the child, where those threads do not exist), and after the threads exit. */

#define OWN_MAX_SPANS 8192
#define OWN_OBJS      3000

struct cache_record {
    const sl_mcache_t *cache; /* NULL: the slot is unused */
    unsigned n;
    sl_span_t *spans[OWN_MAX_SPANS];
};

#define OWN_MAX_CACHES 17 /* workers + the main thread */
static struct cache_record own_records[OWN_MAX_CACHES];

/* Called by the thread that owns the cache: its owner-only fields are ours to read. */
static void record_my_cache(struct cache_record *r) {
    const sl_mcache_t *c = sl_tls_mcache;
    r->n = 0;
    r->cache = c == &sl_mcache_empty ? NULL : c;
    if (!r->cache)
        return;
    for (unsigned spc = 0; spc < SL_NUM_SPAN_CLASSES; spc++) {
        if (c->alloc[spc] != &sl_span_empty) {
            REQUIRE(r->n < OWN_MAX_SPANS, "too many spans in one cache");
            r->spans[r->n++] = c->alloc[spc];
        }
        for (sl_span_t *s = c->home[spc].head; s; s = s->home_next) {
            REQUIRE(r->n < OWN_MAX_SPANS, "too many spans in one cache");
            r->spans[r->n++] = s;
        }
    }
}

/* span -> times seen in a record or the drain (open addressing, keys never removed). */
#define SEEN_SLOTS (1u << 18)
struct seen {
    sl_span_t *key;
    unsigned records, drained, walked;
};

static struct seen *seen_slot(struct seen *t, sl_span_t *s) {
    unsigned h = (unsigned)(((uintptr_t)s >> 6) * 0x9E3779B1u) & (SEEN_SLOTS - 1);
    for (unsigned i = 0; i < SEEN_SLOTS; i++, h = (h + 1) & (SEEN_SLOTS - 1)) {
        if (t[h].key == s)
            return &t[h];
        if (!t[h].key) {
            t[h].key = s;
            return &t[h];
        }
    }
    FAIL("ownership table full");
}

static void check_owners(const char *when, unsigned nrecords) {
    if (canary_build)
        return; /* it races on purpose */
    struct seen *t = calloc(SEEN_SLOTS, sizeof *t);
    sl_span_t **drained = malloc(sizeof *drained * (1u << 20));
    REQUIRE(t && drained, "calloc");
    hold_background(true); /* no background thread holds a span meanwhile */
    unsigned ndrained = 0;
    /* Empty every set: what comes out is ours (CACHED, xowner = my_owner()). */
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
        for (int tries = 0; tries < 200; tries++) {
            sl_span_t *s;
            while ((s = sl_central_cache(spc, my_owner(), DRAIN_FLAGS)) != NULL) {
                REQUIRE(ndrained < (1u << 20), "too many spans drained");
                drained[ndrained++] = s;
                struct seen *e = seen_slot(t, s);
                REQUIRE(e->drained == 0, "%s: span %p drained twice", when, (void *)s);
                e->drained++;
            }
            struct sl_central_counters c;
            sl_central_counters((int)spc, &c);
            if (c.spans_available == 0)
                break;
            usleep(5000); /* a set that defers reuse (grace period) */
        }
    }
    for (unsigned i = 0; i < nrecords; i++)
        for (unsigned k = 0; k < own_records[i].n; k++)
            seen_slot(t, own_records[i].spans[k])->records++;
    /* Walk every arena's page map; each live span once, at its first page. */
    uint64_t live = 0;
    for (size_t ai = 0; ai < ((size_t)1 << SL_ARENA_L1_BITS); ai++) {
        sl_arena_t *a = sl_arena_table(atomic_load_explicit(&sl_arenas[ai], memory_order_acquire));
        if (!a)
            continue;
        for (size_t pg = 0; pg < SL_ARENA_PAGES; pg++) {
            sl_span_t *s = atomic_load_explicit(&a->spans[pg], memory_order_relaxed);
            uintptr_t addr = ((uintptr_t)ai << SL_ARENA_SHIFT) + (pg << SL_PAGE_SHIFT);
            if (!s || s->base != addr)
                continue;
            uint32_t st = sl_span_state(s);
            if (st == SL_SPAN_DEAD || st == SL_SPAN_LARGE)
                continue;
            live++;
            struct seen *e = seen_slot(t, s);
            e->walked++;
            uintptr_t owner = atomic_load(&s->xowner);
            switch (st) {
            case SL_SPAN_CACHED:
                if (owner == my_owner()) {
                    REQUIRE(e->drained == 1 && e->records == 0,
                            "%s: span %p drained but also in %u cache records", when, (void *)s,
                            e->records);
                    break;
                }
                REQUIRE(e->records == 1 && e->drained == 0,
                        "%s: span %p CACHED by %#lx is in %u cache records (want exactly 1)", when,
                        (void *)s, (unsigned long)owner, e->records);
                bool found = false;
                for (unsigned i = 0; i < nrecords && !found; i++)
                    if ((uintptr_t)own_records[i].cache == owner)
                        for (unsigned k = 0; k < own_records[i].n && !found; k++)
                            found = own_records[i].spans[k] == s;
                REQUIRE(found, "%s: span %p CACHED by %#lx, which is no live cache's record", when,
                        (void *)s, (unsigned long)owner);
                break;
            case SL_SPAN_PARKED:
                REQUIRE(owner == 0 && e->records == 0 && e->drained == 0,
                        "%s: parked span %p has owner %#lx, %u records, %u drains", when, (void *)s,
                        (unsigned long)owner, e->records, e->drained);
                break;
            default:
                FAIL("%s: span %p in state %u at quiescence (after draining every set)", when,
                     (void *)s, st);
            }
        }
    }
    /* Every record and every drained span is a live span the walk found. */
    for (unsigned i = 0; i < nrecords; i++)
        for (unsigned k = 0; k < own_records[i].n; k++)
            REQUIRE(seen_slot(t, own_records[i].spans[k])->walked == 1,
                    "%s: span %p in cache %p's record is not a live span of the heap", when,
                    (void *)own_records[i].spans[k], (const void *)own_records[i].cache);
    struct sl_central_counters c;
    sl_central_counters(-1, &c);
    REQUIRE(live == c.spans_grown - c.spans_returned,
            "%s: %llu live small spans in the heap, counters say grown %llu - returned %llu", when,
            (unsigned long long)live, (unsigned long long)c.spans_grown,
            (unsigned long long)c.spans_returned);
    for (unsigned i = 0; i < ndrained; i++)
        sl_central_uncache(drained[i], my_owner());
    hold_background(false);
    free(drained);
    free(t);
}

/* --- Phase adopt: the home policy adopts another thread's parked span on free -------------
 * Thread A fills two spans of one class and exits (larson's generations): they are
 * parked, their home stale. A thread with a cache but no span of that class frees into
 * the first: it does not adopt, the span goes to the mcentral. A thread that allocates
 * from the class frees into the second: it adopts it (CACHED by its cache, on its home
 * list, counted in `adoptions`, no mcentral call) and its next refill takes it from the
 * home list; ownership is then checked heap-wide. */

#define ADOPT_SIZE 640 /* 12 objects per 8 KiB span */
#define ADOPT_MAX  256
static pthread_barrier_t adopt_bar; /* the user thread and us */
static void *adopt_objs[ADOPT_MAX];
static sl_span_t *adopt_span[2];                /* A's two full spans */
static unsigned adopt_first[2], adopt_count[2]; /* A's objects in each: [first, first+count) */

static sl_span_t *span_of(const void *p) {
    return sl_spanmap_lookup((uintptr_t)p);
}

static void *adopt_filler(void *arg) {
    (void)arg;
    unsigned n = 0, k = 0;
    sl_span_t *cur = NULL;
    while (k < 3) { /* until the third span: the first two are full and parked */
        REQUIRE(n < ADOPT_MAX, "adopt: %u objects without filling two spans", n);
        void *p = sl_malloc(ADOPT_SIZE);
        REQUIRE(p != NULL, "malloc");
        adopt_objs[n] = p;
        if (span_of(p) != cur) {
            cur = span_of(p);
            if (k < 2) {
                adopt_span[k] = cur;
                adopt_first[k] = n;
            }
            k++;
        }
        if (k <= 2)
            adopt_count[k - 1]++;
        n++;
    }
    return NULL; /* the exit gives our spans back: the full ones stay parked */
}

static void adopt_free(unsigned span, unsigned i) {
    sl_free(adopt_objs[adopt_first[span] + i]);
    adopt_objs[adopt_first[span] + i] = NULL;
}

static void *adopt_no_class(void *arg) {
    (void)arg;
    void *other = sl_malloc(48); /* a cache, but no span of the test's class */
    REQUIRE(other != NULL, "malloc");
    adopt_free(0, 0);
    sl_free(other);
    return NULL;
}

static void *adopt_user(void *arg) {
    (void)arg;
    sl_span_t *s = adopt_span[1];
    unsigned spc = s->spanclass;
    void *mine[ADOPT_MAX];
    unsigned n = 0;
    REQUIRE((mine[n++] = sl_malloc(ADOPT_SIZE)) != NULL, "malloc"); /* a span of the class */
    REQUIRE(span_of(mine[0]) != s, "adopt: a parked span was handed out");
    struct sl_central_counters c0, c1, c2;
    sl_central_counters((int)spc, &c0);
    adopt_free(1, 0);
    sl_central_counters((int)spc, &c1);
    const sl_mcache_t *c = sl_tls_mcache;
    REQUIRE(c1.adoptions == c0.adoptions + 1 && c1.put_available_calls == c0.put_available_calls,
            "adopt: the first free into another thread's parked span: %llu adoptions, %llu made "
            "available (want 1 and 0)",
            (unsigned long long)(c1.adoptions - c0.adoptions),
            (unsigned long long)(c1.put_available_calls - c0.put_available_calls));
    REQUIRE(sl_span_state(s) == SL_SPAN_CACHED && atomic_load(&s->xowner) == (uintptr_t)c &&
                c->home[spc].head == s,
            "adopt: span %p state %u owner %#lx, not on this thread's home list", (void *)s,
            sl_span_state(s), (unsigned long)atomic_load(&s->xowner));
    /* A refill takes a listed span once its sweep finds the policy's yield free: free that
     * many of s's objects (at least two), now owner-local. */
    unsigned want = sl_span_share(s, sl_home_get().yield_pct), nfree = want > 2 ? want : 2;
    REQUIRE(adopt_count[1] >= want, "adopt: %u objects in the span, the yield wants %u",
            adopt_count[1], want);
    for (unsigned i = 1; i < nfree && i < adopt_count[1]; i++)
        adopt_free(1, i);
    /* Allocate until an object comes from s: the refill takes it from the home list. */
    while (span_of(mine[n - 1]) != s) {
        REQUIRE(n < ADOPT_MAX, "adopt: the adopted span was never used");
        REQUIRE((mine[n++] = sl_malloc(ADOPT_SIZE)) != NULL, "malloc");
    }
    sl_central_counters((int)spc, &c2);
    REQUIRE(c2.cache_calls == c1.cache_calls,
            "adopt: %llu mcentral calls to reach the adopted span",
            (unsigned long long)(c2.cache_calls - c1.cache_calls));
    record_my_cache(&own_records[0]);
    pthread_barrier_wait(&adopt_bar); /* main checks ownership */
    pthread_barrier_wait(&adopt_bar);
    for (unsigned i = 0; i < n; i++)
        sl_free(mine[i]);
    return NULL; /* the exit gives the adopted span back */
}

static void phase_adopt(void) {
    if (strcmp(sl_policy(), "home") != 0) {
        printf("  adopt: the home policy only\n");
        return;
    }
    REQUIRE(pthread_barrier_init(&adopt_bar, NULL, 2) == 0, "barrier");
    pthread_t a, b;
    memset(adopt_count, 0, sizeof adopt_count);
    memset(adopt_objs, 0, sizeof adopt_objs);
    REQUIRE(pthread_create(&a, NULL, adopt_filler, NULL) == 0, "pthread_create");
    pthread_join(a, NULL);
    for (unsigned k = 0; k < 2; k++)
        REQUIRE(sl_span_state(adopt_span[k]) == SL_SPAN_PARKED, "adopt: full span %p state %u",
                (void *)adopt_span[k], sl_span_state(adopt_span[k]));
    unsigned spc = adopt_span[0]->spanclass;
    struct sl_central_counters c0, c1;
    sl_central_counters((int)spc, &c0);
    REQUIRE(pthread_create(&b, NULL, adopt_no_class, NULL) == 0, "pthread_create");
    pthread_join(b, NULL);
    sl_central_counters((int)spc, &c1);
    REQUIRE(c1.adoptions == c0.adoptions && c1.put_available_calls == c0.put_available_calls + 1,
            "adopt: a thread with no span of the class: %llu adoptions, %llu made available "
            "(want 0 and 1)",
            (unsigned long long)(c1.adoptions - c0.adoptions),
            (unsigned long long)(c1.put_available_calls - c0.put_available_calls));
    REQUIRE(pthread_create(&b, NULL, adopt_user, NULL) == 0, "pthread_create");
    pthread_barrier_wait(&adopt_bar); /* the user recorded its cache */
    record_my_cache(&own_records[1]);
    check_owners("adopt: with an adopted span", 2);
    pthread_barrier_wait(&adopt_bar);
    pthread_join(b, NULL);
    pthread_barrier_destroy(&adopt_bar);
    for (unsigned i = 0; i < ADOPT_MAX; i++) /* A's objects, now remote frees */
        if (adopt_objs[i])
            sl_free(adopt_objs[i]);
    printf("  adopt: a freer without the class left the span to the mcentral; one with it "
           "adopted it and refilled from it\n");
    check_conservation("adopt");
}

struct own_worker {
    unsigned id, nworkers;
    void *objs[OWN_OBJS];
};
static struct own_worker *own_workers;
static pthread_barrier_t own_bar;

static void *own_worker_main(void *arg) {
    struct own_worker *w = arg;
    uint64_t rng = 0xC0FFEEULL * (w->id + 1);
    for (unsigned i = 0; i < OWN_OBJS; i++) {
        uint64_t r = rng_next(&rng);
        size_t n = (r % 8 == 0) ? 1 + (r >> 8) % 8 : 16 + (r >> 8) % 2000;
        w->objs[i] = (r % 8 == 0) ? sl_malloc_noscan(n) : sl_malloc(n);
        REQUIRE(w->objs[i] != NULL, "malloc(%zu)", n);
    }
    for (unsigned i = 0; i < OWN_OBJS; i += 2) { /* own frees: local, home returns */
        sl_free(w->objs[i]);
        w->objs[i] = NULL;
    }
    pthread_barrier_wait(&own_bar);
    struct own_worker *nb = &own_workers[(w->id + 1) % w->nworkers];
    for (unsigned i = 1; i < OWN_OBJS; i += 4) { /* a neighbour's: remote frees, unparks */
        sl_free(nb->objs[i]);
        nb->objs[i] = NULL;
    }
    pthread_barrier_wait(&own_bar);
    for (unsigned i = 0; i < OWN_OBJS; i += 2) /* refill through the policy */
        REQUIRE((w->objs[i] = sl_malloc(16 + (rng_next(&rng) >> 8) % 2000)) != NULL, "malloc");
    record_my_cache(&own_records[w->id]);
    pthread_barrier_wait(&own_bar); /* main checks (and forks) */
    pthread_barrier_wait(&own_bar);
    for (unsigned i = 0; i < OWN_OBJS; i++)
        sl_free(w->objs[i]);
    return NULL; /* thread exit flushes the cache */
}

static void phase_owners(void) {
    unsigned n = conf_threads < 2                    ? 2
                 : conf_threads > OWN_MAX_CACHES - 1 ? OWN_MAX_CACHES - 1
                                                     : conf_threads;
    own_workers = calloc(n, sizeof *own_workers);
    pthread_t *tid = calloc(n, sizeof *tid);
    REQUIRE(own_workers && tid, "calloc");
    REQUIRE(pthread_barrier_init(&own_bar, NULL, n + 1) == 0, "barrier");
    for (unsigned i = 0; i < n; i++) {
        own_workers[i] = (struct own_worker){.id = i, .nworkers = n};
        REQUIRE(pthread_create(&tid[i], NULL, own_worker_main, &own_workers[i]) == 0,
                "pthread_create");
    }
    pthread_barrier_wait(&own_bar);
    pthread_barrier_wait(&own_bar);
    pthread_barrier_wait(&own_bar); /* every worker recorded its cache and waits */
    record_my_cache(&own_records[n]);
    check_owners("owners: threads holding caches", n + 1);
#ifndef SL_HAVE_TSAN /* see phase_owner: TSan cannot follow the atfork handlers' locks */
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        /* Only this thread exists here; the workers' caches are frozen where they were. */
        check_owners("owners: fork child", n + 1);
        void *p[256];
        for (unsigned i = 0; i < 256; i++)
            REQUIRE((p[i] = sl_malloc(8 + i * 37)) != NULL, "malloc in the child");
        for (unsigned i = 0; i < 256; i += 2)
            sl_free(p[i]);
        record_my_cache(&own_records[n]);
        check_owners("owners: fork child after allocating", n + 1);
        for (unsigned i = 1; i < 256; i += 2)
            sl_free(p[i]);
        _exit(0);
    }
    int st;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    REQUIRE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork child's ownership check failed (%#x)", st);
#endif
    pthread_barrier_wait(&own_bar);
    for (unsigned i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&own_bar);
    record_my_cache(&own_records[0]);
    check_owners("owners: after the threads exited", 1);
    free(own_workers);
    free(tid);
    printf("  owners: %u threads, checked with caches held, in a fork child, after exit\n", n);
    check_conservation("owners");
}

/* --- Phase canary: TSan canary builds only --------------------------------------------- */

static _Atomic int canary_stop;

static void *canary_observer(void *arg) {
    (void)arg;
    while (!atomic_load_explicit(&canary_stop, memory_order_relaxed))
        for (unsigned i = 0; i < NCENTRAL; i++)
            sl_central_active->canary_touch(sl_central_set(central_classes[i], 0));
    return NULL;
}

/* With -DSL_TSAN_CANARY the variant left one synchronization out; an observer touching
 * that state with no synchronization beside the central workers must make TSan report. */
static void phase_canary(void) {
    if (!canary_build) {
        printf("  canary: not a canary build\n");
        return;
    }
    pthread_t t;
    atomic_store(&canary_stop, 0);
    REQUIRE(pthread_create(&t, NULL, canary_observer, NULL) == 0, "pthread_create");
    phase_central();
    atomic_store(&canary_stop, 1);
    pthread_join(t, NULL);
}

/* --- Phase leaks: everything given back, the heap is back to its start ------------------ */

static struct sl_stats baseline; /* right after sl_init */

/* Drain every class (waiting briefly for variants that defer reuse): the spans, owned by
 * us, in a growing array; *n of them. */
static sl_span_t **drain_all(size_t *n) {
    size_t cap = 1024;
    sl_span_t **v = malloc(cap * sizeof *v);
    REQUIRE(v != NULL, "malloc");
    *n = 0;
    for (int round = 0; round < 50; round++) {
        size_t before = *n;
        for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
            sl_span_t *s;
            while ((s = sl_central_cache(spc, my_owner(), DRAIN_FLAGS)) != NULL) {
                tag_take(s, spc);
                if (*n == cap) {
                    cap *= 2;
                    v = realloc(v, cap * sizeof *v);
                    REQUIRE(v != NULL, "realloc");
                }
                v[(*n)++] = s;
            }
        }
        struct sl_central_counters c;
        sl_central_counters(-1, &c);
        if (c.spans_available == 0 && *n == before)
            break;
        usleep(2000); /* variants that defer reuse (a grace period) */
    }
    return v;
}

/* The central-level phases mark spans partly used (span_mark_used) for objects that do not
 * exist. After each of them every class is drained and its spans are marked all free
 * again, so that the allocator phases and the leak check see only real objects. */
static void clear_phantoms(void) {
    if (canary_build)
        return;
    size_t n;
    sl_span_t **v = drain_all(&n);
    for (size_t i = 0; i < n; i++) {
        span_mark_free(v[i]);
        tag_drop(v[i]);
        sl_central_uncache(v[i], my_owner());
    }
    free(v);
}

/* Every object of the allocator phases has been freed, and every thread but this one has
 * exited: every span must be all free (its sweep when we take it folds in every pending
 * free), none parked or cached, and after a scavenge the heap must be back to its start.
 * A span with objects in use holds a free the allocator lost. */
static void phase_leaks(void) {
    if (canary_build) {
        printf("  leaks: not checked in a canary build (it races on purpose)\n");
        return;
    }
    sl_thread_exit();
    hold_background(true); /* every span is drained, none in a background thread's hands */
    size_t n, used = 0;
    sl_span_t **v = drain_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (v[i]->alloc_count && !used++)
            fprintf(stderr, "leaks: span %p of class %u has %u objects in use\n", (void *)v[i],
                    v[i]->spanclass, v[i]->alloc_count);
    }
    for (size_t i = 0; i < n; i++) {
        tag_drop(v[i]);
        sl_central_uncache(v[i], my_owner());
    }
    free(v);
    REQUIRE(used == 0,
            "%zu spans hold objects after every object was freed (a lost free; first above)", used);
    sl_scavenge();
    struct sl_stats st;
    sl_stats(&st);
    struct sl_central_counters c = st.central;
    printf("  leaks: %zu spans, all free; small spans %zu (at start %zu), large %zu (%zu), heap "
           "in use %zu KiB (%zu)\n",
           n, st.spans_small, baseline.spans_small, st.spans_large, baseline.spans_large,
           st.heap_inuse >> 10, baseline.heap_inuse >> 10);
    REQUIRE(c.spans_parked == 0 && c.spans_cached == 0,
            "%llu spans still parked, %llu still cached, with every object freed and every "
            "cache flushed (a lost wake-up, or a lost free)",
            (unsigned long long)c.spans_parked, (unsigned long long)c.spans_cached);
    REQUIRE(st.spans_small == baseline.spans_small && st.spans_large == baseline.spans_large,
            "%zu small and %zu large spans left (at start %zu and %zu)", st.spans_small,
            st.spans_large, baseline.spans_small, baseline.spans_large);
    REQUIRE(st.heap_inuse == baseline.heap_inuse, "heap in use %zu bytes, %zu at start",
            st.heap_inuse, baseline.heap_inuse);
    hold_background(false);
}

/* ------------------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    void (*fn)(void);
    bool phantoms; /* leaves spans marked used for objects that do not exist */
} phases[] = {
    {"owner", phase_owner, false},      {"basic", phase_basic, true},
    {"central", phase_central, true},   {"park", phase_park, true},
    {"parkrace", phase_parkrace, true}, {"aba", phase_aba, true},
    {"payload", phase_payload, false},  {"churn", phase_churn, false},
    {"cycle", phase_cycle, false},      {"adopt", phase_adopt, false},
    {"owners", phase_owners, false},    {"canary", phase_canary, true},
    {"leaks", phase_leaks, false},
};
#define NPHASES (sizeof phases / sizeof phases[0])

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <variant> [phase...]\nphases:", argv[0]);
        for (unsigned i = 0; i < NPHASES; i++)
            fprintf(stderr, " %s", phases[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    variant = argv[1];
    check_on_fail = conf_on_fail;
    conf_threads = (unsigned)env_ulong("SL_CONF_THREADS", 8);
    conf_iters = env_ulong("SL_CONF_ITERS", 20000);
    conf_rounds = (unsigned)env_ulong("SL_CONF_ROUNDS", 300);
    conf_seconds = env_double("SL_CONF_SECONDS", 1.0);
    double scale = env_double("SL_CONF_SCALE", 1.0);
    conf_iters = (unsigned long)((double)conf_iters * scale + 0.5);
    conf_rounds = (unsigned)((double)conf_rounds * scale + 0.5);
    conf_seconds *= scale;
    if (conf_iters == 0 || conf_rounds == 0) {
        fprintf(stderr, "test_conformance: SL_CONF_SCALE=%g leaves no work\n", scale);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    int rc = sl_init(variant);
    REQUIRE(rc == 0, "sl_init(\"%s\") = %d", variant, rc);
    size_t vlen = strcspn(variant, "/");
    REQUIRE(strlen(sl_variant()) == vlen && strncmp(sl_variant(), variant, vlen) == 0,
            "sl_variant() = %s", sl_variant());
    REQUIRE(variant[vlen] == '\0' || strcmp(sl_policy(), variant + vlen + 1) == 0,
            "sl_policy() = %s", sl_policy());
    REQUIRE(sl_central_active && strcmp(sl_central_active->name, sl_variant()) == 0,
            "active ops table is not %s", sl_variant());
    canary_build = sl_central_canary_build;
    sweep_mode = sl_central_sweep_mode;
    sl_stats(&baseline);
    if (argc == 2) {
        for (unsigned k = 0; k < NPHASES; k++) {
            double t0 = now_s();
            phases[k].fn();
            if (phases[k].phantoms)
                clear_phantoms();
            printf("[%s] %s: %.2f s\n", variant, phases[k].name, now_s() - t0);
        }
    }
    for (int i = 2; i < argc; i++) {
        unsigned k = 0;
        while (k < NPHASES && strcmp(argv[i], phases[k].name) != 0)
            k++;
        REQUIRE(k < NPHASES, "unknown phase %s", argv[i]);
        double t0 = now_s();
        phases[k].fn();
        if (phases[k].phantoms)
            clear_phantoms();
        printf("[%s] %s: %.2f s\n", variant, phases[k].name, now_s() - t0);
    }
    check_conservation("end");
    /* With $SPANLAB_STALL_PPM set the variant's stall points must have fired: otherwise the
     * stall-enabled run (ctest conformance_stall_<variant>) proved nothing. */
    const char *stall_ppm = getenv("SPANLAB_STALL_PPM");
    if (stall_ppm && strtoul(stall_ppm, NULL, 10) > 0) {
        REQUIRE(sl_stall_count() > 0, "SPANLAB_STALL_PPM=%s but no stall point fired", stall_ppm);
        printf("[%s] stalls: %llu\n", variant, (unsigned long long)sl_stall_count());
    }
    struct sl_central_counters c;
    sl_central_counters(-1, &c);
    printf("[%s] ok: cache %llu uncache %llu put_available %llu grown %llu returned %llu "
           "lock_waits %llu cas_retries %llu grace_periods %llu\n",
           variant, (unsigned long long)c.cache_calls, (unsigned long long)c.uncache_calls,
           (unsigned long long)c.put_available_calls, (unsigned long long)c.spans_grown,
           (unsigned long long)c.spans_returned, (unsigned long long)c.lock_waits,
           (unsigned long long)c.cas_retries, (unsigned long long)c.grace_periods);
    return 0;
}
