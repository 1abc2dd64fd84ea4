/* threadtest (Hoard's benchmark): each thread allocates a batch of same-size objects,
 * touches them and frees them all, over and over. Purely thread-local; measures the
 * fast path and how well each thread's cache refills from the central lists.
 * Defaults are the published program's own (`threadtest T 50 30000 0 1`): 30000 objects
 * of 8 bytes (one two-int Foo) split among the threads, so the live total stays the same
 * at every thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const sl_bench_param_t threadtest_params[] = {
    {"batch", 30000, 1, 1 << 20,
     "objects allocated, then freed, per round (over all threads when split=1)"},
    {"size", 8, 1, 1 << 20, "object size in bytes"},
    {"split", 1, 0, 1, "1: batch is divided among the threads (published); 0: per thread"},
    {NULL, 0, 0, 0, NULL},
};

static void threadtest_worker(sl_bench_thread_t *t) {
    size_t batch = (size_t)sl_bench_param_get(t->run, "batch");
    if (sl_bench_param_get(t->run, "split"))
        batch = batch / t->run->nthreads ? batch / t->run->nthreads : 1;
    size_t size = (size_t)sl_bench_param_get(t->run, "size");
    void **objs = calloc(batch, sizeof *objs);
    if (!objs)
        sl_bench_oom("threadtest");
    sl_bench_ready(t);
    while (!sl_bench_stopped(t)) {
        for (size_t i = 0; i < batch; i++) {
            char *p = sl_bench_alloc(t, size);
            if (!p)
                sl_bench_oom("threadtest");
            p[0] = (char)i;
            objs[i] = p;
        }
        for (size_t i = 0; i < batch; i++)
            sl_bench_free(t, objs[i]);
    }
    sl_bench_done(t);
    free(objs);
}

const sl_bench_workload_t sl_wl_threadtest = {
    .name = "threadtest",
    .summary = "thread-local batches: allocate `batch` objects, free them, repeat",
    .source = "Hoard benchmarks/threadtest (Berger et al., ASPLOS 2000) with its own defaults: "
              "threadtest T 50 30000 0 1",
    .params = threadtest_params,
    .worker = threadtest_worker,
};
