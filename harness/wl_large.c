/* large: churn of objects above spanlab's 32 KiB small-object limit, which go straight
 * to the page heap (and, in the peers, to their large-object paths or mmap). Each thread
 * keeps a window of live objects and replaces random ones; pages are touched.
 */
#include <stdlib.h>

#include "bench.h"

static const sl_bench_param_t large_params[] = {
    {"live", 64, 1, 1 << 20, "live objects per thread"},
    {"min", 32769, 1, 1L << 30, "smallest object size"},
    {"max", 256 << 10, 1, 1L << 30, "largest object size"},
    {"touch", 1, 0, 1, "1: write one byte in every 4 KiB page of each new object"},
    {NULL, 0, 0, 0, NULL},
};

static void *large_one(sl_bench_thread_t *t, size_t lo, size_t hi, int touch, int timed) {
    size_t size = sl_bench_rand_range(t, lo, hi);
    char *p = timed ? sl_bench_alloc(t, size) : t->be->alloc(size);
    if (!p)
        sl_bench_oom("large");
    if (touch)
        for (size_t off = 0; off < size; off += 4096)
            p[off] = 1;
    return p;
}

static void large_worker(sl_bench_thread_t *t) {
    size_t live = (size_t)sl_bench_param_get(t->run, "live");
    size_t lo = (size_t)sl_bench_param_get(t->run, "min");
    size_t hi = (size_t)sl_bench_param_get(t->run, "max");
    int touch = (int)sl_bench_param_get(t->run, "touch");
    if (hi < lo)
        hi = lo;
    void **objs = calloc(live, sizeof *objs);
    if (!objs)
        sl_bench_oom("large");
    for (size_t i = 0; i < live; i++)
        objs[i] = large_one(t, lo, hi, touch, 0);
    sl_bench_ready(t);
    while (!sl_bench_stopped(t)) {
        size_t i = (size_t)(sl_bench_rand(t) % live);
        sl_bench_free(t, objs[i]);
        objs[i] = large_one(t, lo, hi, touch, 1);
    }
    sl_bench_done(t);
    for (size_t i = 0; i < live; i++)
        t->be->free(objs[i]);
    free(objs);
}

const sl_bench_workload_t sl_wl_large = {
    .name = "large",
    .summary = "churn of objects > 32 KiB (page-heap path), pages touched",
    .params = large_params,
    .sample_default = 1, /* ops take microseconds: timing each costs nothing */
    .worker = large_worker,
};
