/* threadtest (Hoard's benchmark): each thread allocates a batch of same-size objects,
 * touches them and frees them all, over and over. Purely thread-local; measures the
 * fast path and how well each thread's cache refills from the central lists.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const sl_bench_param_t threadtest_params[] = {
    {"batch", 1000, 1, 1 << 20, "objects allocated, then freed, per round"},
    {"size", 64, 1, 1 << 20, "object size in bytes"},
    {NULL, 0, 0, 0, NULL},
};

static void threadtest_worker(sl_bench_thread_t *t) {
    size_t batch = (size_t)sl_bench_param_get(t->run, "batch");
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
    .params = threadtest_params,
    .worker = threadtest_worker,
};
