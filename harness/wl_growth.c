/* growth: heap growth and release. Each cycle every thread allocates objects until it
 * holds its share of `mib` MiB, then frees them all. When the time is up the driver
 * records RSS after the last free-all; stays idle for `idle` ms sampling RSS (what the
 * allocator gives back on its own: spanlab's decay, jemalloc's decay, mimalloc's purge
 * delay); asks the allocator to give free memory back (sl_scavenge; malloc_trim /
 * mallctl purge / MallocExtension / mi_collect for peers) and records RSS again. The RSS
 * time series of the run and of the idle period go into `extra`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "sysinfo.h"

static const sl_bench_param_t growth_params[] = {
    {"mib", 64, 1, 1 << 20, "heap size reached each cycle, over all threads"},
    {"min", 64, 1, 1 << 24, "smallest object size"},
    {"max", 4096, 1, 1 << 24, "largest object size"},
    {"idle", 0, 0, 600000, "ms to stay idle after the last free-all, sampling RSS"},
    {NULL, 0, 0, 0, NULL},
};

static void growth_worker(sl_bench_thread_t *t) {
    size_t share = ((size_t)sl_bench_param_get(t->run, "mib") << 20) / t->run->nthreads;
    size_t lo = (size_t)sl_bench_param_get(t->run, "min");
    size_t hi = (size_t)sl_bench_param_get(t->run, "max");
    if (hi < lo)
        hi = lo;
    size_t cap = share / lo + 1, n = 0;
    void **objs = calloc(cap, sizeof *objs);
    if (!objs)
        sl_bench_oom("growth");
    sl_bench_ready(t);
    while (!sl_bench_stopped(t)) {
        size_t held = 0;
        for (n = 0; n < cap && held < share && !sl_bench_stopped(t); n++) {
            size_t size = sl_bench_rand_range(t, lo, hi);
            char *p = sl_bench_alloc(t, size);
            if (!p)
                sl_bench_oom("growth");
            for (size_t off = 0; off < size; off += 4096)
                p[off] = 1;
            objs[n] = p;
            held += size;
        }
        for (size_t i = 0; i < n; i++)
            sl_bench_free(t, objs[i]);
        n = 0;
    }
    sl_bench_done(t);
    free(objs);
    if (t->be->thread_end)
        t->be->thread_end();
}

static int growth_setup(sl_bench_run_t *run) {
    run->shared = (void *)(intptr_t)sl_sysinfo_rss_kib(); /* before any worker allocates */
    return 0;
}

static void growth_teardown(sl_bench_run_t *run) {
    long freed = sl_sysinfo_rss_kib();
    size_t len = strlen(run->extra);
    len += (size_t)snprintf(run->extra + len, sizeof run->extra - len,
                            "%srss_start_kib=%ld;rss_freed_kib=%ld", len ? ";" : "",
                            (long)(intptr_t)run->shared, freed);
    long idle = sl_bench_param_get(run, "idle");
    if (idle > 0) {
        /* 30 samples, the first right after the free-all, the last at the end. */
        long step = idle / 30 > 10 ? idle / 30 : 10;
        len += (size_t)snprintf(run->extra + len, sizeof run->extra - len,
                                ";rss_idle_step_ms=%ld;rss_idle_series_kib=%ld", step, freed);
        struct timespec at;
        clock_gettime(CLOCK_MONOTONIC, &at);
        for (long t = step; t <= idle; t += step) {
            at.tv_nsec += step % 1000 * 1000000L;
            at.tv_sec += step / 1000 + at.tv_nsec / 1000000000L;
            at.tv_nsec %= 1000000000L;
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
            if (len + 16 < sizeof run->extra)
                len += (size_t)snprintf(run->extra + len, sizeof run->extra - len, "/%ld",
                                        sl_sysinfo_rss_kib());
        }
        len += (size_t)snprintf(run->extra + len, sizeof run->extra - len, ";rss_idle_kib=%ld",
                                sl_sysinfo_rss_kib());
    }
    run->be->release();
    snprintf(run->extra + len, sizeof run->extra - len, ";rss_released_kib=%ld",
             sl_sysinfo_rss_kib());
}

const sl_bench_workload_t sl_wl_growth = {
    .name = "growth",
    .summary = "grow the heap to `mib`, free it all, repeat; RSS over time and after release",
    .params = growth_params,
    .rss_series = 1,
    .sample_default = 16, /* few, slow ops (page faults): enough samples, no real cost */
    .setup = growth_setup,
    .worker = growth_worker,
    .teardown = growth_teardown,
};
