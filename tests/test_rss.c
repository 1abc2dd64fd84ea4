/* RSS falls back: several threads fill ~256 MiB in objects of every kind, free them all
 * (a third by other threads), exit; after sl_scavenge the resident set must be back near
 * where it started. A functional check of the flush/return/scavenge path, not a target. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "spanlab.h"

enum { THREADS = 4, PER = 64 << 20 };

static void *objs[THREADS][1 << 16];
static size_t nobj[THREADS];

static void *filler(void *arg) {
    uintptr_t t = (uintptr_t)arg;
    size_t used = 0, n = 0;
    while (used < PER && n < (1 << 16)) {
        size_t size = n % 7 == 0 ? 40000 + n % 50000 : 16 + (n * 37) % 3000;
        void *p = sl_malloc(size);
        memset(p, 0x5A, size);
        objs[t][n++] = p;
        used += size;
    }
    nobj[t] = n;
    return NULL;
}

static void *freer(void *arg) {
    uintptr_t t = (uintptr_t)arg;
    /* Frees its own thread's objects except every third, which the next thread frees. */
    for (size_t i = 0; i < nobj[t]; i++)
        if (i % 3)
            sl_free(objs[t][i]);
    uintptr_t o = (t + 1) % THREADS;
    for (size_t i = 0; i < nobj[o]; i += 3)
        sl_free(objs[o][i]);
    return NULL;
}

int main(void) {
    CHECK(sl_init(NULL) == 0);
    long base = rss_kib();
    pthread_t ts[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&ts[i], NULL, filler, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(ts[i], NULL);
    long peak = rss_kib();
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&ts[i], NULL, freer, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(ts[i], NULL);
    long freed = rss_kib();
    sl_scavenge();
    long after = rss_kib();
    struct sl_stats st;
    sl_stats(&st);
    printf("rss: start %ld KiB, peak %ld KiB, all freed %ld KiB, after sl_scavenge %ld KiB "
           "(heap in use %zu KiB, released %zu KiB)\n",
           base, peak, freed, after, st.heap_inuse >> 10, st.heap_released >> 10);
    CHECK(peak - base > 200 * 1024);
    CHECK_MSG(after - base < 16 * 1024, "RSS stayed %ld KiB above the start", after - base);
    return check_done("rss");
}
