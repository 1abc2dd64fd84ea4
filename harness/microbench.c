/* slmicro: single-thread malloc+free cost in ns per pair, the core's fast-path benchmark.
 *   slmicro spanlab VARIANT [REPS [PATTERN]]  spanlab linked statically (sl_malloc, sl_free)
 *   slmicro libc [REPS [PATTERN]]             the process's malloc: run it under LD_PRELOAD
 *                                             with a peer or with libspanlab-preload.so
 * Three loops, each the best of REPS runs, every call through the same function pointers:
 *   single  one 64-byte object allocated, touched and freed;
 *   batch   batches of 1000 mixed small sizes (8..1024 B) allocated, touched, then freed;
 *   random  2000 live objects of mixed sizes (8..1024 B); each step frees one chosen at
 *           random and allocates a new one in its place (random lifetimes).
 * Prints "SINGLE BATCH RANDOM" in ns of thread CPU time per malloc+free pair; with PATTERN (single,
 * batch or random) only that loop runs, without warm-up, the others print 0 (for perf stat and perf
 * record: the pairs then dominate the profile). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spanlab.h"

static void *(*alloc_fn)(size_t);
static void (*free_fn)(void *);

#define NSIZES 1024 /* the mixed sizes, drawn once */
static size_t sizes[NSIZES];

/* The thread's CPU time, not the wall clock: on a shared machine the wall clock also
 * counts the time other processes hold the core. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *alloc_touch(size_t size) {
    void *p = alloc_fn(size);
    if (!p) {
        fprintf(stderr, "slmicro: allocation of %zu bytes failed\n", size);
        exit(1);
    }
    *(volatile char *)p = 1;
    return p;
}

static double run_single(long n) {
    double t0 = now();
    for (long i = 0; i < n; i++)
        free_fn(alloc_touch(64));
    return (now() - t0) / (double)n * 1e9;
}

static double run_batch(long rounds) {
    static void *b[1000];
    double t0 = now();
    for (long k = 0; k < rounds; k++) {
        for (int i = 0; i < 1000; i++)
            b[i] = alloc_touch(sizes[i]);
        for (int i = 0; i < 1000; i++)
            free_fn(b[i]);
    }
    return (now() - t0) / (double)(rounds * 1000) * 1e9;
}

static double run_random(long n) {
    enum { LIVE = 2000 };
    static void *live[LIVE];
    for (int i = 0; i < LIVE; i++)
        live[i] = alloc_touch(sizes[i % NSIZES]);
    uint64_t x = 88172645463325252u; /* xorshift64 */
    double t0 = now();
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned slot = (unsigned)((x >> 32) % LIVE);
        free_fn(live[slot]);
        live[slot] = alloc_touch(sizes[x & (NSIZES - 1)]);
    }
    double ns = (now() - t0) / (double)n * 1e9;
    for (int i = 0; i < LIVE; i++)
        free_fn(live[i]);
    return ns;
}

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "spanlab") != 0 && strcmp(argv[1], "libc") != 0)) {
        fprintf(stderr, "usage: slmicro spanlab VARIANT [REPS] | slmicro libc [REPS]\n");
        return 2;
    }
    int reps = 5, arg = 2;
    const char *only = NULL;
    if (strcmp(argv[1], "spanlab") == 0) {
        if (argc < 3 || sl_init(argv[2]) != 0)
            return 2;
        alloc_fn = sl_malloc;
        free_fn = sl_free;
        arg = 3;
    } else {
        alloc_fn = malloc;
        free_fn = free;
    }
    if (argc > arg)
        reps = atoi(argv[arg]);
    if (argc > arg + 1)
        only = argv[arg + 1];
    if (only && strcmp(only, "single") != 0 && strcmp(only, "batch") != 0 &&
        strcmp(only, "random") != 0) {
        fprintf(stderr, "slmicro: unknown pattern %s (single, batch, random)\n", only);
        return 2;
    }
    if (reps < 1) {
        fprintf(stderr, "slmicro: REPS must be at least 1\n");
        return 2;
    }
    unsigned seed = 1;
    for (int i = 0; i < NSIZES; i++) {
        seed = seed * 1103515245u + 12345u;
        sizes[i] = 8 + (seed >> 16) % 1017;
    }
    if (!only) { /* warm up: the caches and the heap exist before timing */
        run_single(2000000);
        run_batch(500);
        run_random(1000000);
    }
    bool do_single = !only || strcmp(only, "single") == 0;
    bool do_batch = !only || strcmp(only, "batch") == 0;
    bool do_random = !only || strcmp(only, "random") == 0;
    double single = 1e9, batch = 1e9, random = 1e9;
    for (int r = 0; r < reps; r++) {
        double s = do_single ? run_single(10000000) : 0;
        double b = do_batch ? run_batch(5000) : 0;
        double x = do_random ? run_random(5000000) : 0;
        single = s < single ? s : single;
        batch = b < batch ? b : batch;
        random = x < random ? x : random;
    }
    printf("%.2f %.2f %.2f\n", single, batch, random);
    return 0;
}
