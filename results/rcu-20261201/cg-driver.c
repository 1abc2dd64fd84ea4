/* cg-driver: a fixed amount of allocator work with no clock, for cachegrind, where
 * slbench's timed cells cannot run (valgrind does not decode rdtscp) and where the
 * instruction and cache-miss counts of two variants compare without the machine's load.
 *
 *   cg-driver VARIANT/POLICY larson N     N replacements in a window of 5000 objects of
 *                                         8-1000 B, by generation threads of 50000 each
 *                                         (each frees objects of the one before: remote
 *                                         frees), run one after another
 *   cg-driver VARIANT/POLICY prodcons N   batches of 4096 objects of 64 B allocated by one
 *                                         thread and freed by the next, N objects in all
 *
 * Build (from the repository root, after the release build):
 *   gcc -O2 -g -I alloc results/rcu-20261201/cg-driver.c -o cg-driver build/libspanlab.a \
 *       -lurcu-memb -lpthread
 * Run: valgrind --tool=cachegrind --cache-sim=yes ./cg-driver rcu/eager larson 2000000
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spanlab.h"

#define SLOTS   5000
#define PER_GEN 50000
#define BATCH   4096

static uint64_t rng = 88172645463325252ull;
static void *slot[SLOTS];
static void *batch[BATCH];

static uint64_t next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t larson_size(void) {
    return 8 + next_random() % 993;
}

static void *larson_generation(void *arg) {
    (void)arg;
    for (long i = 0; i < PER_GEN; i++) {
        unsigned k = (unsigned)(next_random() % SLOTS);
        sl_free(slot[k]);
        slot[k] = sl_malloc(larson_size());
    }
    return NULL;
}

static void *produce(void *arg) {
    (void)arg;
    for (int i = 0; i < BATCH; i++) {
        batch[i] = sl_malloc(64);
        memset(batch[i], 1, 64);
    }
    return NULL;
}

static void *consume(void *arg) {
    (void)arg;
    for (int i = 0; i < BATCH; i++)
        sl_free(batch[i]);
    return NULL;
}

static void run_thread(void *(*fn)(void *)) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0 || pthread_join(t, NULL) != 0) {
        fprintf(stderr, "cg-driver: cannot run a thread\n");
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: cg-driver VARIANT/POLICY larson|prodcons N\n");
        return 2;
    }
    if (sl_init(argv[1]) != 0) {
        fprintf(stderr, "cg-driver: sl_init(%s) failed\n", argv[1]);
        return 2;
    }
    long n = atol(argv[3]);
    if (strcmp(argv[2], "larson") == 0) {
        for (int k = 0; k < SLOTS; k++)
            slot[k] = sl_malloc(larson_size());
        for (long g = 0; g < n / PER_GEN; g++)
            run_thread(larson_generation);
    } else if (strcmp(argv[2], "prodcons") == 0) {
        for (long b = 0; b < n / BATCH; b++) {
            run_thread(produce);
            run_thread(consume);
        }
    } else {
        fprintf(stderr, "cg-driver: unknown mode '%s'\n", argv[2]);
        return 2;
    }
    return 0;
}
