/* scratch (Hoard's cache-scratch, passive false sharing): the driver allocates one small
 * object per worker from a single thread and hands them out; each worker frees its object,
 * then repeatedly allocates one, writes it `writes` times and frees it. An allocator that
 * hands the freed neighbours back to different threads makes them share cache lines.
 * Defaults are mimalloc-bench's `cache-scratch T 1000 1 2000000 T`: 1-byte objects written
 * 2,000,000 times. The published program splits those writes among the threads and runs
 * 1000 objects each (fixed total work); slbench runs for a fixed time, so `writes` is per
 * object at every thread count and the ideal is T times the 1-thread throughput.
 */
#include <errno.h>
#include <stdlib.h>

#include "bench.h"

static const sl_bench_param_t scratch_params[] = {
    {"size", 1, 1, 1 << 20, "object size in bytes"},
    {"writes", 2000000, 0, 1 << 30, "writes to each object's bytes before it is freed"},
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
    .source = "Hoard benchmarks/cache-scratch (Berger et al., ASPLOS 2000); defaults as "
              "mimalloc-bench runs it: cache-scratch T 1000 1 2000000 T",
    .sample_default = 1, /* a few hundred calls per second: time every one */
    .params = scratch_params,
    .setup = scratch_setup,
    .worker = scratch_worker,
    .teardown = scratch_teardown,
};
