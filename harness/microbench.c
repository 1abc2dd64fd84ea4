/* slmicro: single-thread malloc+free cost in ns per pair, the core's fast-path benchmark.
 *   slmicro spanlab <variant> | slmicro libc      (a peer: run it under LD_PRELOAD)
 * Two loops, each best of `reps` runs: one 64-byte object allocated, touched and freed;
 * batches of 1000 mixed small sizes (8..1024 B) allocated, touched, then freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spanlab.h"

static void *(*alloc_fn)(size_t);
static void (*free_fn)(void *);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "spanlab") != 0 && strcmp(argv[1], "libc") != 0)) {
        fprintf(stderr, "usage: slmicro spanlab VARIANT | slmicro libc [REPS]\n");
        return 2;
    }
    int reps = 5;
    if (strcmp(argv[1], "spanlab") == 0) {
        if (argc < 3 || sl_init(argv[2]) != 0)
            return 2;
        alloc_fn = sl_malloc;
        free_fn = sl_free;
        if (argc > 3)
            reps = atoi(argv[3]);
    } else {
        alloc_fn = malloc;
        free_fn = free;
        if (argc > 2)
            reps = atoi(argv[2]);
    }
    const long n = 20000000;
    for (long i = 0; i < n / 10; i++) { /* warm up */
        void *p = alloc_fn(64);
        *(volatile char *)p = 1;
        free_fn(p);
    }
    double single = 1e9, batch = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            void *p = alloc_fn(64);
            *(volatile char *)p = 1;
            free_fn(p);
        }
        double ns = (now() - t0) / (double)n * 1e9;
        single = ns < single ? ns : single;
    }
    static void *b[1000];
    size_t sz[1000];
    unsigned seed = 1;
    for (int i = 0; i < 1000; i++) {
        seed = seed * 1103515245u + 12345u;
        sz[i] = 8 + (seed >> 16) % 1017;
    }
    const long rounds = 10000;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long k = 0; k < rounds; k++) {
            for (int i = 0; i < 1000; i++) {
                b[i] = alloc_fn(sz[i]);
                *(volatile char *)b[i] = 1;
            }
            for (int i = 0; i < 1000; i++)
                free_fn(b[i]);
        }
        double ns = (now() - t0) / (double)(rounds * 1000) * 1e9;
        batch = ns < batch ? ns : batch;
    }
    printf("%.2f %.2f\n", single, batch);
    return 0;
}
