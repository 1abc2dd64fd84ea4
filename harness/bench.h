/* slbench: the types shared by the driver, the backends and the workloads.
 * A backend is the allocator a cell measures (spanlab's sl_* or the process malloc, which
 * is a peer when LD_PRELOADed); a workload is one file wl_<name>.c driving it from threads.
 * Workload code is identical for every allocator: it calls through sl_bench_alloc/free.
 */
#ifndef SL_BENCH_H
#define SL_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "hist.h"

/* --- Backends (backend_libc.c, backend_spanlab.c) ------------------------------------ */

typedef struct sl_bench_backend {
    const char *name;
    void *(*alloc)(size_t size);
    void *(*alloc_noscan)(size_t size); /* pointer-free object; plain alloc where none */
    void (*free)(void *p);
    void (*thread_end)(void); /* NULL or: flush this thread's cache early */
    void (*release)(void);    /* give free memory back to the OS (growth workload) */
    int has_central;          /* the `central` workload can run */
} sl_bench_backend_t;

extern const sl_bench_backend_t sl_bench_backend_libc;
extern const sl_bench_backend_t sl_bench_backend_spanlab;

/* --- Workload parameters ------------------------------------------------------------ */

typedef struct sl_bench_param {
    const char *name;
    long def, min, max;
    const char *help;
} sl_bench_param_t;

#define SL_BENCH_MAX_PARAMS 8

/* --- One cell in the child process --------------------------------------------------- */

typedef struct sl_bench_workload sl_bench_workload_t;
typedef struct sl_bench_run sl_bench_run_t;

/* Per worker. Written only by its worker (or by a helper thread the worker joins, as in
 * larson), read by the driver after the end barrier. */
typedef struct sl_bench_thread {
    _Alignas(64) sl_bench_run_t *run;
    const sl_bench_backend_t *be;
    unsigned id;
    uint64_t ops;          /* allocator calls made inside the timed region */
    uint32_t sample_left;  /* ops until the next sampled one */
    uint32_t sample_every; /* 0 = sampling off */
    uint64_t rng;          /* xorshift state */
    uint64_t end_ns;       /* CLOCK_MONOTONIC when this worker left its timed loop */
    sl_hist_t hist;        /* sampled latencies, in clock ticks */
    void *local;           /* workload's per-thread state */
} sl_bench_thread_t;

struct sl_bench_run {
    const sl_bench_workload_t *wl;
    const sl_bench_backend_t *be;
    unsigned nthreads;
    long param[SL_BENCH_MAX_PARAMS]; /* by index into wl->params */
    _Atomic int xstop;               /* set by the driver when the time is up */
    /* Workers + driver. Between start and go, and between end and counted, the driver
     * reads the allocator's counters while no worker runs the workload. */
    pthread_barrier_t start, go, end, counted;
    sl_bench_thread_t *threads;
    void *shared; /* workload's shared state */
    char extra[1024];
};

struct sl_bench_workload {
    const char *name;
    const char *summary;
    const char *source;             /* the published benchmark it mirrors, or NULL */
    const sl_bench_param_t *params; /* terminated by a NULL name */
    int spanlab_only;
    int rss_series; /* put the RSS time series into the `extra` column */
    long
        sample_default; /* sampling interval without --param sample; 0 = the global default (512) */
    /* Shared set-up before the threads start; 0 or a negative errno. */
    int (*setup)(sl_bench_run_t *run);
    /* Whole worker body: prepare, sl_bench_ready(), loop while !sl_bench_stopped(),
     * sl_bench_done(), clean up. */
    void (*worker)(sl_bench_thread_t *t);
    /* After every worker ended; may fill run->extra ("key=value;..."). */
    void (*teardown)(sl_bench_run_t *run);
};

/* Registry (workloads.c). */
const sl_bench_workload_t *const *sl_bench_workloads(void); /* NULL-terminated */
const sl_bench_workload_t *sl_bench_workload_find(const char *name);
int sl_bench_workload_param_index(const sl_bench_workload_t *wl, const char *key);

/* Rows for a workload's parameter table: stalls at the mcentral variant's stall points
 * (alloc/stall.h), spanlab backends only. The cell applies them after set-up, before the
 * workers start (cell.c). */
/* clang-format off */
#define SL_BENCH_STALL_PARAMS                                                                  \
    {"stall_ppm", 0, 0, 1000000, "stalls per million passes through a stall point (spanlab)"}, \
    {"stall_us", 50, 0, 1000000, "length of one stall, microseconds"},                         \
    {"stall_spin", 0, 0, 1, "0: a stall sleeps (leaves the CPU); 1: it busy-waits"}
/* clang-format on */

static inline long sl_bench_param_get(const sl_bench_run_t *run, const char *key) {
    return run->param[sl_bench_workload_param_index(run->wl, key)];
}

/* Worker synchronization (cell.c). */
void sl_bench_ready(sl_bench_thread_t *t); /* start barrier (and go) */
void sl_bench_done(sl_bench_thread_t *t);  /* records end time, end barrier (and counted) */

static inline int sl_bench_stopped(const sl_bench_thread_t *t) {
    return atomic_load_explicit(&t->run->xstop, memory_order_relaxed);
}

/* --- Measured allocator calls ------------------------------------------------------- */

void sl_bench_sample_reset(sl_bench_thread_t *t);

static inline uint64_t sl_bench_rand(sl_bench_thread_t *t) {
    uint64_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return t->rng = x;
}

/* Uniform in [lo, hi]. */
static inline size_t sl_bench_rand_range(sl_bench_thread_t *t, size_t lo, size_t hi) {
    return lo + (size_t)(sl_bench_rand(t) % (hi - lo + 1));
}

/* Counts one op and times it when its turn in the sampling interval comes. */
#define SL_BENCH_OP(t, stmt)                                                                       \
    do {                                                                                           \
        (t)->ops++;                                                                                \
        if (__builtin_expect(--(t)->sample_left != 0, 1)) {                                        \
            stmt;                                                                                  \
        } else {                                                                                   \
            uint64_t t0_ = sl_clock_start();                                                       \
            stmt;                                                                                  \
            uint64_t t1_ = sl_clock_stop();                                                        \
            if ((t)->sample_every)                                                                 \
                sl_hist_record(&(t)->hist, t1_ - t0_);                                             \
            sl_bench_sample_reset(t);                                                              \
        }                                                                                          \
    } while (0)

static inline void *sl_bench_alloc(sl_bench_thread_t *t, size_t size) {
    void *p;
    SL_BENCH_OP(t, p = t->be->alloc(size));
    return p;
}

static inline void *sl_bench_alloc_noscan(sl_bench_thread_t *t, size_t size) {
    void *p;
    SL_BENCH_OP(t, p = t->be->alloc_noscan(size));
    return p;
}

static inline void sl_bench_free(sl_bench_thread_t *t, void *p) {
    SL_BENCH_OP(t, t->be->free(p));
}

static inline void sl_bench_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Out of memory inside a workload: the cell fails with this reason (cell.c). */
_Noreturn void sl_bench_oom(const char *where);

#endif
