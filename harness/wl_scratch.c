/* scratch (Hoard's cache-scratch, passive false sharing): the driver allocates one small
 * object per worker from a single thread and hands them out; each worker frees its object,
 * then repeatedly allocates one, writes it `writes` times and frees it. An allocator that
 * hands the freed neighbours back to different threads makes them share cache lines.
 */
#include <errno.h>
#include <stdlib.h>

#include "bench.h"

static const sl_bench_param_t scratch_params[] = {
    {"size", 8, 1, 1 << 20, "object size in bytes"},
    {"writes", 100, 0, 1 << 24, "writes to each object's bytes before it is freed"},
    {NULL, 0, 0, 0, NULL},
};

static int scratch_setup(sl_bench_run_t *run) {
    size_t size = (size_t)sl_bench_param_get(run, "size");
    void **objs = calloc(run->nthreads, sizeof *objs);
    if (!objs)
        return -ENOMEM;
    for (unsigned i = 0; i < run->nthreads; i++)
        if (!(objs[i] = run->be->alloc(size)))
            return -ENOMEM;
    run->shared = objs;
    return 0;
}

static void scratch_worker(sl_bench_thread_t *t) {
    void **objs = t->run->shared;
    size_t size = (size_t)sl_bench_param_get(t->run, "size");
    long writes = sl_bench_param_get(t->run, "writes");
    sl_bench_ready(t);
    sl_bench_free(t, objs[t->id]); /* remote free of the driver's object */
    while (!sl_bench_stopped(t)) {
        volatile char *p = sl_bench_alloc(t, size);
        if (!p)
            sl_bench_oom("scratch");
        for (long w = 0; w < writes; w++)
            for (size_t b = 0; b < size; b++)
                p[b] = (char)(p[b] + 1);
        sl_bench_free(t, (void *)p);
    }
    sl_bench_done(t);
}

static void scratch_teardown(sl_bench_run_t *run) {
    free(run->shared);
}

const sl_bench_workload_t sl_wl_scratch = {
    .name = "scratch",
    .summary = "passive false sharing: write objects whose neighbours other threads freed",
    .params = scratch_params,
    .setup = scratch_setup,
    .worker = scratch_worker,
    .teardown = scratch_teardown,
};
