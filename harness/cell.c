/* The child side of one cell: choose the backend (sl_init for a spanlab variant, the
 * process malloc otherwise, checking that a peer's LD_PRELOAD took effect), start the
 * workers on a barrier, stop them after the duration, merge their histograms and report
 * on the result fd. The parent (sweep.c) turns the report into a CSV row.
 */
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cell.h"
#include "spanlab.h"
#include "stall.h"
#include "sysinfo.h"

static int cell_fd = -1;

static void cell_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void cell_say(const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(cell_fd, buf + off, (size_t)(n - off));
        if (w <= 0)
            return;
        off += (int)w;
    }
}

/* The cell fails: one status line, no numbers. */
static _Noreturn void cell_fail(const char *why) {
    cell_say("status=error:%s", why);
    cell_say("end=1");
    _exit(3);
}

void sl_bench_oom(const char *where) {
    char why[128];
    snprintf(why, sizeof why, "out of memory in %s", where);
    cell_fail(why);
}

/* The workload's stall_* parameters (SL_BENCH_STALL_PARAMS), if it has them: after set-up,
 * so that only the measured phase (and the workers' own preparation) is stalled. */
static void cell_stalls(const sl_bench_run_t *run) {
    if (sl_bench_workload_param_index(run->wl, "stall_ppm") < 0)
        return;
    long ppm = sl_bench_param_get(run, "stall_ppm");
    if (ppm == 0)
        return;
    if (!run->be->has_central)
        cell_fail("stall_ppm needs a spanlab backend (the stall points are in its variants)");
    if (sl_stall_configure((uint32_t)ppm, (uint32_t)sl_bench_param_get(run, "stall_us"),
                           sl_bench_param_get(run, "stall_spin") ? SL_STALL_SPIN : SL_STALL_SLEEP) <
        0)
        cell_fail("stall parameters out of range");
}

void sl_bench_sample_reset(sl_bench_thread_t *t) {
    t->sample_left = t->sample_every ? t->sample_every : UINT32_MAX;
}

void sl_bench_ready(sl_bench_thread_t *t) {
    pthread_barrier_wait(&t->run->start);
    pthread_barrier_wait(&t->run->go);
}

void sl_bench_done(sl_bench_thread_t *t) {
    t->end_ns = sl_clock_mono_ns();
    pthread_barrier_wait(&t->run->end);
    pthread_barrier_wait(&t->run->counted);
}

/* The mcentral's event counters of the timed region: b - a (taken at its start and end,
 * with every worker waiting), so that the workload's set-up, warm-up and teardown are
 * not counted while `ops` counts only the timed calls. The gauges (spans_available,
 * spans_parked, spans_cached) are left as they are in *out, read at the end of the cell. */
static void cell_central_delta(const struct sl_central_counters *a,
                               const struct sl_central_counters *b,
                               struct sl_central_counters *out) {
#define CELL_DELTA_TALLY(f)    out->f = b->f - a->f;
#define CELL_DELTA_VARIANT(f)  CELL_DELTA_TALLY(f)
#define CELL_DELTA_GLOBAL(f)   CELL_DELTA_TALLY(f)
#define CELL_DELTA_GAUGE(f)    /* a state at the end, not a count */
#define CELL_DELTA(name, kind) CELL_DELTA_##kind(name)
    SL_CENTRAL_COUNTERS(CELL_DELTA)
#undef CELL_DELTA
#undef CELL_DELTA_GAUGE
#undef CELL_DELTA_GLOBAL
#undef CELL_DELTA_VARIANT
#undef CELL_DELTA_TALLY
}

struct cell_worker_arg {
    sl_bench_thread_t *t;
    int pin_cpu; /* -1: no pinning */
};

static void *cell_worker(void *arg) {
    struct cell_worker_arg *a = arg;
    if (a->pin_cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(a->pin_cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    a->t->run->wl->worker(a->t);
    return NULL;
}

/* Picks the allocator for this process. */
static const sl_bench_backend_t *cell_backend(const sl_bench_alloc_t *a) {
    if (strcmp(a->allocator, "spanlab") == 0) {
        char spec[80];
        snprintf(spec, sizeof spec, "%s/%s", a->variant, a->policy);
        int rc = sl_init(spec);
        if (rc != 0) {
            char why[160];
            snprintf(why, sizeof why, "sl_init(%s) failed: %s", spec, strerror(-rc));
            cell_fail(why);
        }
        return &sl_bench_backend_spanlab;
    }
    if (a->kind == SL_BENCH_ALLOC_GLIBC)
        return &sl_bench_backend_libc;
    /* A preload that did not take must never pass for a measurement of it: ld.so only
     * warns and runs on with glibc. */
    char why[600];
    if (a->error[0])
        cell_fail(a->error);
    if (sl_bench_lib_check_live(a->lib, why, sizeof why) != 0)
        cell_fail(why);
    const char *sym = a->kind == SL_BENCH_ALLOC_PEER ? sl_bench_peer_symbol(a->allocator) : NULL;
    if (sym && !dlsym(RTLD_DEFAULT, sym)) {
        snprintf(why, sizeof why, "%s is not %s (it does not define %s)", a->lib, a->allocator,
                 sym);
        cell_fail(why);
    }
    return &sl_bench_backend_libc;
}

/* User + system CPU time of the whole process so far, and its minor page faults. */
static double cell_cpu_seconds(long *minflt) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        *minflt = 0;
        return 0.0;
    }
    *minflt = ru.ru_minflt;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Sleeps through the timed region, sampling RSS for the time series. */
static void cell_wait(sl_bench_run_t *run, double seconds, uint64_t t0) {
    uint64_t dur = (uint64_t)(seconds * 1e9);
    uint64_t step = dur / 30 > 10000000u ? dur / 30 : 10000000u;
    size_t len = 0;
    if (run->wl->rss_series)
        len = (size_t)snprintf(run->extra, sizeof run->extra, "rss_series_kib=");
    for (;;) {
        uint64_t now = sl_clock_mono_ns();
        if (run->wl->rss_series && len + 16 < sizeof run->extra)
            len += (size_t)snprintf(run->extra + len, sizeof run->extra - len, "%s%ld",
                                    run->extra[len - 1] == '=' ? "" : "/", sl_sysinfo_rss_kib());
        if (now - t0 >= dur)
            break;
        uint64_t left = dur - (now - t0);
        uint64_t nap = left < step ? left : step;
        struct timespec ts = {(time_t)(nap / 1000000000u), (long)(nap % 1000000000u)};
        nanosleep(&ts, NULL);
    }
}

/* The workers of this cell and what they get. */
struct cell_workers {
    pthread_t *tids;
    struct cell_worker_arg *args;
};

/* Everything before the workers: parameters, backend, barriers, the workload's set-up and
 * its stalls. */
static void cell_prepare(const sl_bench_opts_t *o, sl_bench_run_t *run, struct cell_workers *w) {
    const sl_bench_alloc_t *a = &o->allocs[0];
    run->wl = o->wls[0];
    run->nthreads = o->threads[0];
    if (sl_bench_opts_params(o, run->wl, run->param))
        cell_fail("bad parameters");
    if (run->wl->spanlab_only && strcmp(a->allocator, "spanlab") != 0)
        cell_fail("workload runs on spanlab only");
    run->be = cell_backend(a);
    atomic_init(&run->xstop, 0);
    pthread_barrier_init(&run->start, NULL, run->nthreads + 1);
    pthread_barrier_init(&run->go, NULL, run->nthreads + 1);
    pthread_barrier_init(&run->end, NULL, run->nthreads + 1);
    pthread_barrier_init(&run->counted, NULL, run->nthreads + 1);
    run->threads = aligned_alloc(64, sizeof *run->threads * run->nthreads);
    w->tids = calloc(run->nthreads, sizeof *w->tids);
    w->args = calloc(run->nthreads, sizeof *w->args);
    if (!run->threads || !w->tids || !w->args)
        cell_fail("out of memory in the driver");
    if (run->wl->setup) {
        int rc = run->wl->setup(run);
        if (rc) {
            char why[128];
            snprintf(why, sizeof why, "%s set-up failed: %s", run->wl->name, strerror(-rc));
            cell_fail(why);
        }
    }
    cell_stalls(run);
}

/* Starts the workers; each waits at the start barrier. */
static void cell_start(const sl_bench_opts_t *o, sl_bench_run_t *run, struct cell_workers *w) {
    long ncpu = sl_sysinfo_cores();
    for (unsigned i = 0; i < run->nthreads; i++) {
        sl_bench_thread_t *t = &run->threads[i];
        memset(t, 0, sizeof *t);
        t->run = run;
        t->be = run->be;
        t->id = i;
        t->rng = 0x9e3779b97f4a7c15ull * (i + 1) ^ (0x2545f4914f6cdd1dull * (o->rep + 1));
        if (!t->rng)
            t->rng = 1;
        sl_hist_init(&t->hist);
        t->sample_every = (uint32_t)sl_bench_opts_sample(o, run->wl);
        /* A random first sample, so threads do not sample in lock step. */
        t->sample_left =
            t->sample_every ? 1 + (uint32_t)(sl_bench_rand(t) % t->sample_every) : UINT32_MAX;
        w->args[i].t = t;
        w->args[i].pin_cpu = o->pin ? (int)(i % (unsigned long)(ncpu > 0 ? ncpu : 1)) : -1;
        if (pthread_create(&w->tids[i], NULL, cell_worker, &w->args[i]) != 0)
            cell_fail("pthread_create failed");
    }
}

/* What the timed region measured. */
struct cell_result {
    double secs, cpu; /* wall time to the last worker's end; CPU time of the process */
    uint64_t ops;
    long minor_faults;
    sl_hist_t all; /* every worker's latency samples */
    /* spanlab: the mcentral counters at the start and at the end of the timed region */
    struct sl_central_counters central0, central1;
};

/* Releases the workers, times them for the cell's seconds, stops and joins them, and
 * merges what they counted. */
static void cell_measure(const sl_bench_opts_t *o, sl_bench_run_t *run, struct cell_workers *w,
                         struct cell_result *res) {
    struct sl_stats st;
    pthread_barrier_wait(&run->start);
    if (run->be == &sl_bench_backend_spanlab) {
        sl_stats(&st);
        res->central0 = st.central;
    }
    pthread_barrier_wait(&run->go);
    uint64_t t0 = sl_clock_mono_ns();
    long flt0, flt1;
    double cpu0 = cell_cpu_seconds(&flt0);
    cell_wait(run, o->seconds, t0);
    atomic_store_explicit(&run->xstop, 1, memory_order_relaxed);
    pthread_barrier_wait(&run->end);
    res->cpu = cell_cpu_seconds(&flt1) - cpu0;
    res->minor_faults = flt1 - flt0;
    if (run->be == &sl_bench_backend_spanlab) {
        sl_stats(&st);
        res->central1 = st.central;
    }
    pthread_barrier_wait(&run->counted);
    for (unsigned i = 0; i < run->nthreads; i++)
        pthread_join(w->tids[i], NULL);

    uint64_t t1 = t0;
    res->ops = 0;
    sl_hist_init(&res->all);
    for (unsigned i = 0; i < run->nthreads; i++) {
        res->ops += run->threads[i].ops;
        if (run->threads[i].end_ns > t1)
            t1 = run->threads[i].end_ns;
        sl_hist_merge(&res->all, &run->threads[i].hist);
    }
    if (run->wl->teardown)
        run->wl->teardown(run);
    res->secs = (double)(t1 - t0) / 1e9;
}

/* The report on the result fd, one key=value a line, `end=1` last. */
static void cell_report(const sl_bench_run_t *run, const struct cell_result *res) {
    double secs = res->secs, cpu = res->cpu;
    uint64_t ops = res->ops;
    const sl_hist_t *all = &res->all;
    cell_say("status=ok");
    cell_say("seconds=%.6f", secs);
    cell_say("ops=%llu", (unsigned long long)ops);
    cell_say("cpu_seconds=%.6f", cpu);
    cell_say("mops_per_s=%.6g", secs > 0 ? (double)ops / secs / 1e6 : 0.0);
    if (cpu > 0)
        cell_say("mops_per_cpu_s=%.6g", (double)ops / cpu / 1e6);
    if (all->count) {
        static const struct {
            const char *key;
            double p;
        } pct[] = {
            {"lat_p50_ns", 50}, {"lat_p90_ns", 90}, {"lat_p99_ns", 99}, {"lat_p999_ns", 99.9}};
        for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++)
            cell_say("%s=%.0f", pct[i].key, sl_clock_to_ns(sl_hist_percentile(all, pct[i].p)));
        cell_say("lat_max_ns=%.0f", sl_clock_to_ns(all->max));
    }
    cell_say("lat_samples=%llu", (unsigned long long)all->count);
    cell_say("rss_peak_kib=%ld", sl_sysinfo_rss_peak_kib());
    cell_say("rss_final_kib=%ld", sl_sysinfo_rss_kib());
    cell_say("minor_faults=%ld", res->minor_faults);
    if (run->be == &sl_bench_backend_spanlab) {
        struct sl_stats st;
        sl_stats(&st);
        cell_central_delta(&res->central0, &res->central1, &st.central);
        const struct sl_central_counters *c = &st.central;
#define CELL_SAY_COUNTER(name, kind) cell_say(#name "=%llu", (unsigned long long)c->name);
        SL_CENTRAL_COUNTERS(CELL_SAY_COUNTER)
#undef CELL_SAY_COUNTER
        cell_say("scav_releases=%llu", (unsigned long long)st.scav_releases);
        cell_say("scav_pages_released=%llu", (unsigned long long)st.scav_pages_released);
        cell_say("scav_pages_refaulted=%llu", (unsigned long long)st.scav_pages_refaulted);
    }
    cell_say("clock=%s", sl_clock_describe());
    if (run->extra[0])
        cell_say("extra=%s", run->extra);
    cell_say("end=1");
}

int sl_bench_cell_main(const sl_bench_opts_t *o) {
    static sl_bench_run_t run;
    static struct cell_result res;
    struct cell_workers w;
    cell_fd = o->result_fd;
    sl_clock_init(1);
    cell_prepare(o, &run, &w);
    cell_start(o, &run, &w);
    cell_measure(o, &run, &w, &res);
    cell_report(&run, &res);
    return 0;
}
