/* gomix: a Go-like allocation mix. Each thread keeps a window of live objects and
 * replaces random ones. Sizes (percent of allocations): 55 tiny (1-15 B, pointer-free),
 * 30 small (16-256 B), 12 medium (257 B-4 KiB), 2.9 up to 32 KiB, 0.1 large (64-256 KiB)
 * -- a long tail. A `noscan` percent of the non-tiny ones are pointer-free too; those go
 * through sl_malloc_noscan on spanlab and plain malloc elsewhere.
 */
#include <stdlib.h>

#include "bench.h"

static const sl_bench_param_t gomix_params[] = {
    {"live", 4096, 1, 1 << 24, "live objects per thread (the window replaced at random)"},
    {"noscan", 70, 0, 100, "percent of non-tiny objects that are pointer-free"},
    {NULL, 0, 0, 0, NULL},
};

/* One size draw; *noscan says whether the object may go to a pointer-free class. */
static size_t gomix_size(sl_bench_thread_t *t, unsigned noscan_pct, int *noscan) {
    uint64_t r = sl_bench_rand(t);
    unsigned per_mille = (unsigned)(r % 1000);
    *noscan = (unsigned)((r >> 20) % 100) < noscan_pct;
    if (per_mille < 550) {
        *noscan = 1;
        return sl_bench_rand_range(t, 1, 15);
    }
    if (per_mille < 850)
        return sl_bench_rand_range(t, 16, 256);
    if (per_mille < 970)
        return sl_bench_rand_range(t, 257, 4096);
    if (per_mille < 999)
        return sl_bench_rand_range(t, 4097, 32768);
    return sl_bench_rand_range(t, 65536, 262144);
}

static void *gomix_one(sl_bench_thread_t *t, unsigned noscan_pct, int timed) {
    int noscan;
    size_t size = gomix_size(t, noscan_pct, &noscan);
    char *p;
    if (timed)
        p = noscan ? sl_bench_alloc_noscan(t, size) : sl_bench_alloc(t, size);
    else
        p = noscan ? t->be->alloc_noscan(size) : t->be->alloc(size);
    if (!p)
        sl_bench_oom("gomix");
    p[0] = 1;
    return p;
}

static void gomix_worker(sl_bench_thread_t *t) {
    size_t live = (size_t)sl_bench_param_get(t->run, "live");
    unsigned noscan = (unsigned)sl_bench_param_get(t->run, "noscan");
    void **objs = calloc(live, sizeof *objs);
    if (!objs)
        sl_bench_oom("gomix");
    for (size_t i = 0; i < live; i++)
        objs[i] = gomix_one(t, noscan, 0);
    sl_bench_ready(t);
    while (!sl_bench_stopped(t)) {
        for (int k = 0; k < 64; k++) {
            size_t i = (size_t)(sl_bench_rand(t) % live);
            sl_bench_free(t, objs[i]);
            objs[i] = gomix_one(t, noscan, 1);
        }
    }
    sl_bench_done(t);
    for (size_t i = 0; i < live; i++)
        t->be->free(objs[i]);
    free(objs);
}

const sl_bench_workload_t sl_wl_gomix = {
    .name = "gomix",
    .summary = "Go-like mix: mostly pointer-free tiny/small objects, long-tailed sizes, few large",
    .params = gomix_params,
    .worker = gomix_worker,
};
