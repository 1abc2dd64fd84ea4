/* Payload-verifying multi-threaded stress: every object is filled with a pattern derived
 * from its address and size and verified before it is freed, so overlapping objects or
 * a lost free show up as corruption. Mixed sizes up to 256 KiB, tiny pointer-free
 * objects, calloc (checked zero), realloc (contents kept), aligned allocations; a quarter
 * of the frees by another thread; then thread churn. At the end everything is freed and
 * scavenged, and the heap must hold no span at all (nothing leaked).
 * Variant: $SPANLAB_CENTRAL. Size: SL_STRESS_THREADS, SL_STRESS_OPS (per thread),
 * SL_STRESS_CHURN (short-lived threads), SL_STRESS_SECONDS (optional time bound). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "central.h"
#include "check.h"
#include "spanlab.h"

enum { SLOTS = 256 };

struct obj {
    unsigned char *p;
    size_t size;
};

static pthread_mutex_t xlock = PTHREAD_MUTEX_INITIALIZER;
static struct obj *xq; /* objects handed to another thread for freeing; under xlock */
static size_t xn, xcap;
static _Atomic unsigned long corrupt, bad_align, bad_usable, bad_zero;
static long ops_per_thread;
static double deadline;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static inline unsigned char pat(const unsigned char *p, size_t size, size_t i) {
    uintptr_t a = (uintptr_t)p;
    return (unsigned char)((a >> 4) ^ (a >> 12) ^ size ^ (i * 131));
}

static void fill(unsigned char *p, size_t size) {
    for (size_t i = 0; i < size; i++)
        p[i] = pat(p, size, i);
}

static void verify_free(struct obj o) {
    for (size_t i = 0; i < o.size; i++)
        if (o.p[i] != pat(o.p, o.size, i)) {
            atomic_fetch_add(&corrupt, 1);
            break;
        }
    sl_free(o.p);
}

static struct obj make(uint64_t *r) {
    struct obj o;
    unsigned k = (unsigned)(rnd(r) % 100);
    if (k < 60) {
        o.size = 1 + rnd(r) % 512;
        o.p = sl_malloc(o.size);
    } else if (k < 72) {
        o.size = 1 + rnd(r) % 15;
        o.p = sl_malloc_noscan(o.size);
    } else if (k < 84) {
        o.size = 512 + rnd(r) % 32256;
        o.p = sl_malloc(o.size);
    } else if (k < 87) {
        o.size = 32769 + rnd(r) % (256 * 1024 - 32769);
        o.p = sl_malloc(o.size);
    } else if (k < 93) {
        o.size = 1 + rnd(r) % 4000;
        o.p = sl_calloc(1, o.size);
        for (size_t i = 0; o.p && i < o.size; i++)
            if (o.p[i]) {
                atomic_fetch_add(&bad_zero, 1);
                break;
            }
    } else if (k < 97) {
        size_t first = 1 + rnd(r) % 2000;
        unsigned char *p = sl_malloc(first);
        fill(p, first);
        o.size = 1 + rnd(r) % 40000;
        o.p = sl_realloc(p, o.size);
        size_t keep = first < o.size ? first : o.size;
        for (size_t i = 0; i < keep; i++)
            if (o.p[i] != pat(p, first, i)) {
                atomic_fetch_add(&corrupt, 1);
                break;
            }
    } else {
        size_t align = (size_t)16 << (rnd(r) % 9);
        o.size = 1 + rnd(r) % 3000;
        o.p = sl_aligned_alloc(align, o.size);
        if ((uintptr_t)o.p & (align - 1))
            atomic_fetch_add(&bad_align, 1);
    }
    if (!o.p || sl_usable_size(o.p) < o.size)
        atomic_fetch_add(&bad_usable, 1);
    if (((uintptr_t)o.p & 7) != 0 && o.size >= 8 && !(k >= 60 && k < 72)) /* tiny: Go rules */
        atomic_fetch_add(&bad_align, 1);
    fill(o.p, o.size);
    return o;
}

static void hand_off(struct obj o) {
    pthread_mutex_lock(&xlock);
    if (xn == xcap) {
        xcap = xcap ? 2 * xcap : 1024;
        xq = realloc(xq, xcap * sizeof *xq); /* the harness's own memory: libc */
    }
    xq[xn++] = o;
    pthread_mutex_unlock(&xlock);
}

static int take_handed(struct obj *o) {
    pthread_mutex_lock(&xlock);
    int got = xn > 0;
    if (got)
        *o = xq[--xn];
    pthread_mutex_unlock(&xlock);
    return got;
}

static void *worker(void *arg) {
    uint64_t r = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
    struct obj slots[SLOTS] = {0};
    for (long i = 0; i < ops_per_thread; i++) {
        if ((i & 1023) == 0 && deadline > 0 && now() > deadline)
            break;
        unsigned s = (unsigned)(rnd(&r) % SLOTS);
        if (slots[s].p) {
            if (rnd(&r) % 4 == 0)
                hand_off(slots[s]); /* freed by another thread */
            else
                verify_free(slots[s]);
        }
        slots[s] = make(&r);
        /* Take back about as many as are handed off, so the queue stays bounded. */
        struct obj o;
        if ((i & 1) == 0 && take_handed(&o))
            verify_free(o);
    }
    for (unsigned s = 0; s < SLOTS; s++)
        if (slots[s].p)
            verify_free(slots[s]);
    return NULL;
}

static void *short_lived(void *arg) {
    uint64_t r = (uint64_t)(uintptr_t)arg + 7;
    struct obj keep[16];
    for (int i = 0; i < 16; i++)
        keep[i] = make(&r);
    for (int i = 0; i < 16; i++) {
        if (i % 2)
            hand_off(keep[i]); /* outlives this thread */
        else
            verify_free(keep[i]);
    }
    return NULL;
}

int main(void) {
    CHECK(sl_init(NULL) == 0);
    long threads = env_long("SL_STRESS_THREADS", 4);
    long churn = env_long("SL_STRESS_CHURN", 400);
    long seconds = env_long("SL_STRESS_SECONDS", 0);
    ops_per_thread = env_long("SL_STRESS_OPS", 60000);
    deadline = seconds > 0 ? now() + (double)seconds : 0;
    if (seconds > 0 && !getenv("SL_STRESS_OPS"))
        ops_per_thread = 1L << 40;
    printf("stress: variant %s, %ld threads x %ld ops, %ld short-lived threads\n", sl_variant(),
           threads, ops_per_thread, churn);

    double t0 = now();
    pthread_t *ts = calloc((size_t)threads, sizeof *ts);
    for (long i = 0; i < threads; i++)
        pthread_create(&ts[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    /* Thread churn alongside the workers: waves of 8 short-lived threads. */
    for (long i = 0; i < churn; i += 8) {
        pthread_t w[8];
        for (int k = 0; k < 8; k++)
            pthread_create(&w[k], NULL, short_lived, (void *)(uintptr_t)(i + k));
        for (int k = 0; k < 8; k++)
            pthread_join(w[k], NULL);
    }
    for (long i = 0; i < threads; i++)
        pthread_join(ts[i], NULL);
    free(ts);
    long rss_peak = rss_kib();
    struct obj o;
    while (take_handed(&o))
        verify_free(o);
    double t1 = now();

    CHECK_MSG(atomic_load(&corrupt) == 0, "%lu corrupted objects", atomic_load(&corrupt));
    CHECK_MSG(atomic_load(&bad_align) == 0, "%lu misaligned", atomic_load(&bad_align));
    CHECK_MSG(atomic_load(&bad_usable) == 0, "%lu NULL or short", atomic_load(&bad_usable));
    CHECK_MSG(atomic_load(&bad_zero) == 0, "%lu calloc not zero", atomic_load(&bad_zero));

    /* Everything is free: after this thread's flush and a scavenge no span may remain. */
    sl_thread_exit();
    long rss_before = rss_kib();
    sl_scavenge();
    struct sl_stats st;
    sl_stats(&st);
    long rss_after = rss_kib();
    CHECK_MSG(st.central.spans_cached == 0, "%llu spans still cached",
              (unsigned long long)st.central.spans_cached);
    CHECK_MSG(st.central.spans_parked == 0, "%llu spans parked",
              (unsigned long long)st.central.spans_parked);
    CHECK_MSG(st.spans_small == 0 && st.spans_large == 0 && st.heap_inuse == 0,
              "leaked: %zu small spans, %zu large spans, %zu bytes in use", st.spans_small,
              st.spans_large, st.heap_inuse);
    CHECK(st.heap_free == 0);
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
        struct sl_central_counters c;
        sl_central_counters((int)spc, &c);
        CHECK_MSG(c.spans_available == sl_central_available_derived(spc),
                  "class %u: variant says %llu available, counters say %llu", spc,
                  (unsigned long long)c.spans_available,
                  (unsigned long long)sl_central_available_derived(spc));
    }
    printf("stress: %.2f s; RSS peak %ld KiB, after free %ld KiB, after sl_scavenge %ld KiB; "
           "mapped %zu MiB, released %zu MiB (%llu releases, %llu pages, %llu refaulted); central "
           "cache %llu uncache %llu put_available %llu grown %llu returned %llu\n",
           t1 - t0, rss_peak, rss_before, rss_after, st.heap_mapped >> 20, st.heap_released >> 20,
           (unsigned long long)st.scav_releases, (unsigned long long)st.scav_pages_released,
           (unsigned long long)st.scav_pages_refaulted, (unsigned long long)st.central.cache_calls,
           (unsigned long long)st.central.uncache_calls,
           (unsigned long long)st.central.put_available_calls,
           (unsigned long long)st.central.spans_grown,
           (unsigned long long)st.central.spans_returned);
    return check_done("stress");
}
