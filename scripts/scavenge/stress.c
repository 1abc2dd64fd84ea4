/* Fixed work after mimalloc's test/test-stress.c: ITER rounds; each round starts THREADS
 * threads that allocate, retain, free and exchange objects through a shared transfer
 * array (1 % of objects x100, 0.1 % x1000, 0.01 % x10000), checking every object's
 * contents. Memory freed at the end of a round is wanted again by the next: what a
 * scavenger that returns it at once makes the program fault in again.
 * Usage: stress [THREADS=16] [SCALE=50] [ITER=10] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int THREADS = 16, SCALE = 50, ITER = 10;
#define TRANSFERS 1000
static _Atomic(void *) transfer[TRANSFERS];
static const uintptr_t cookie = 0xbf58476d1ce4e5b9UL;
typedef uintptr_t *random_t;
static uintptr_t pick(random_t r) {
    uintptr_t x = *r;
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9UL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebUL;
    x ^= x >> 31;
    *r = x;
    return x;
}
static int chance(size_t perc, random_t r) {
    return (pick(r) % 100 <= perc);
}
static void *alloc_items(size_t items, random_t r) {
    if (chance(1, r)) {
        if (chance(1, r))
            items *= 10000;
        else if (chance(10, r))
            items *= 1000;
        else
            items *= 100;
    }
    if (items == 40)
        items++;
    if (items == 0)
        items = 1;
    uintptr_t *p = calloc(items, sizeof(uintptr_t));
    if (p)
        for (uintptr_t i = 0; i < items; i++) {
            if (p[i] != 0)
                abort();
            p[i] = (items - i) ^ cookie;
        }
    return p;
}
static void free_items(void *p) {
    if (p) {
        uintptr_t *q = p;
        uintptr_t items = q[0] ^ cookie;
        for (uintptr_t i = 0; i < items; i++)
            if ((q[i] ^ cookie) != items - i) {
                fprintf(stderr, "corrupt\n");
                abort();
            }
    }
    free(p);
}
static void *stress(void *arg) {
    intptr_t tid = (intptr_t)arg;
    uintptr_t r = (tid + 1) * 43;
    const size_t max_item_shift = 5, max_item_retained_shift = max_item_shift + 2;
    size_t allocs = 100 * (size_t)SCALE * (tid % 8 + 1), retain = allocs / 2;
    void **data = NULL;
    size_t data_size = 0, data_top = 0;
    void **retained = calloc(retain, sizeof(void *));
    size_t retain_top = 0;
    while (allocs > 0 || retain > 0) {
        if (retain == 0 || (chance(50, &r) && allocs > 0)) {
            allocs--;
            if (data_top >= data_size) {
                data_size += 100000;
                data = realloc(data, data_size * sizeof(void *));
            }
            data[data_top++] = alloc_items(1ULL << (pick(&r) % max_item_shift), &r);
        } else {
            retained[retain_top++] = alloc_items(1ULL << (pick(&r) % max_item_retained_shift), &r);
            retain--;
        }
        if (chance(66, &r) && data_top > 0) {
            size_t idx = pick(&r) % data_top;
            free_items(data[idx]);
            data[idx] = NULL;
        }
        if (chance(25, &r) && data_top > 0) {
            size_t di = pick(&r) % data_top, ti = pick(&r) % TRANSFERS;
            data[di] = atomic_exchange(&transfer[ti], data[di]);
        }
    }
    for (size_t i = 0; i < retain_top; i++)
        free_items(retained[i]);
    for (size_t i = 0; i < data_top; i++)
        free_items(data[i]);
    free(retained);
    free(data);
    return NULL;
}
int main(int argc, char **argv) {
    if (argc > 1)
        THREADS = atoi(argv[1]);
    if (argc > 2)
        SCALE = atoi(argv[2]);
    if (argc > 3)
        ITER = atoi(argv[3]);
    uintptr_t r = 43 * 43;
    pthread_t *ts = calloc(THREADS, sizeof *ts);
    for (int n = 0; n < ITER; n++) {
        for (intptr_t i = 0; i < THREADS; i++)
            pthread_create(&ts[i], NULL, stress, (void *)i);
        for (int i = 0; i < THREADS; i++)
            pthread_join(ts[i], NULL);
        for (int i = 0; i < TRANSFERS; i++)
            if (chance(50, &r) || n + 1 == ITER)
                free_items(atomic_exchange(&transfer[i], NULL));
    }
    free(ts);
    return 0;
}
