/* larson (Larson & Krishnan's server simulation): each worker slot owns an array of live
 * objects of random sizes; a generation thread replaces random objects for `rounds`
 * ops, then exits and the next generation thread inherits the array, so objects
 * outlive the thread that allocated them and are freed by its successor.
 * Defaults are mimalloc-bench's `larson 5 8 1000 5000 100 4141 T`: 5000 objects of 8-1000
 * bytes per slot, a generation replaces 100 x 5000 of them, and (warmup=1) the driver
 * allocates every slot's objects, shuffles them across slots and churns them 4x before
 * the workers start, so the first generation frees memory another thread allocated.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

static const sl_bench_param_t larson_params[] = {
    {"slots", 5000, 1, 1 << 22, "live objects per worker"},
    {"min", 8, 1, 1 << 24, "smallest object size"},
    {"max", 1000, 1, 1 << 24, "largest object size"},
    {"rounds", 500000, 1, 1L << 30, "replacements per generation thread before it hands over"},
    {"warmup", 1, 0, 1,
     "1: the driver allocates, shuffles and churns all objects first (published); 0: each "
     "worker allocates its own"},
    SL_BENCH_STALL_PARAMS,
    {NULL, 0, 0, 0, NULL},
};

struct larson_slot {
    sl_bench_thread_t *t;
    void **objs;
    size_t n, min, max, rounds;
};

/* The published warm-up's generator stands in for a thread's: seeded like its 4141. */
static size_t larson_setup_rand(uint64_t *x, size_t bound) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (size_t)(*x % bound);
}

/* warmup=1: every slot's objects, allocated by the driver thread, in one array. */
static int larson_setup(sl_bench_run_t *run) {
    if (!sl_bench_param_get(run, "warmup"))
        return 0;
    size_t slots = (size_t)sl_bench_param_get(run, "slots");
    size_t min = (size_t)sl_bench_param_get(run, "min");
    size_t max = (size_t)sl_bench_param_get(run, "max");
    size_t n = slots * run->nthreads;
    uint64_t x = 4141;
    if (max < min)
        max = min;
    void **objs = calloc(n, sizeof *objs);
    if (!objs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(objs[i] = run->be->alloc(min + larson_setup_rand(&x, max - min + 1))))
            return -ENOMEM;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates: slots get each other's neighbours */
        size_t j = larson_setup_rand(&x, i);
        void *tmp = objs[j];
        objs[j] = objs[i - 1];
        objs[i - 1] = tmp;
    }
    for (size_t k = 0; k < 4 * n; k++) {
        size_t v = larson_setup_rand(&x, n);
        run->be->free(objs[v]);
        if (!(objs[v] = run->be->alloc(min + larson_setup_rand(&x, max - min + 1))))
            return -ENOMEM;
    }
    run->shared = objs;
    return 0;
}

static void *larson_generation(void *arg) {
    struct larson_slot *s = arg;
    sl_bench_thread_t *t = s->t;
    for (size_t r = 0; r < s->rounds && !sl_bench_stopped(t); r++) {
        size_t i = (size_t)(sl_bench_rand(t) % s->n);
        sl_bench_free(t, s->objs[i]);
        size_t size = sl_bench_rand_range(t, s->min, s->max);
        char *p = sl_bench_alloc(t, size);
        if (!p)
            sl_bench_oom("larson");
        p[0] = 'a'; /* the published writes the first two bytes */
        p[size > 1] = 'b';
        s->objs[i] = p;
    }
    if (t->be->thread_end)
        t->be->thread_end();
    return NULL;
}

static void larson_worker(sl_bench_thread_t *t) {
    void **warm = t->run->shared;
    struct larson_slot s = {
        .t = t,
        .n = (size_t)sl_bench_param_get(t->run, "slots"),
        .min = (size_t)sl_bench_param_get(t->run, "min"),
        .max = (size_t)sl_bench_param_get(t->run, "max"),
        .rounds = (size_t)sl_bench_param_get(t->run, "rounds"),
    };
    if (s.max < s.min)
        s.max = s.min;
    if (warm) {
        s.objs = warm + (size_t)t->id * s.n;
    } else {
        s.objs = calloc(s.n, sizeof *s.objs);
        if (!s.objs)
            sl_bench_oom("larson");
        for (size_t i = 0; i < s.n; i++) {
            s.objs[i] = t->be->alloc(sl_bench_rand_range(t, s.min, s.max));
            if (!s.objs[i])
                sl_bench_oom("larson");
        }
    }
    sl_bench_ready(t);
    while (!sl_bench_stopped(t)) {
        /* The worker only waits; its successor generation uses t once it is joined. */
        pthread_t gen;
        if (pthread_create(&gen, NULL, larson_generation, &s) != 0)
            sl_bench_oom("larson: pthread_create");
        pthread_join(gen, NULL);
    }
    sl_bench_done(t);
    for (size_t i = 0; i < s.n; i++)
        t->be->free(s.objs[i]);
    if (!warm)
        free(s.objs);
}

static void larson_teardown(sl_bench_run_t *run) {
    free(run->shared); /* the objects were freed by their workers */
}

const sl_bench_workload_t sl_wl_larson = {
    .name = "larson",
    .summary = "server simulation: objects outlive their thread and are freed by the next one",
    .source = "Larson & Krishnan, ISMM 1998; defaults as mimalloc-bench runs it: "
              "larson 5 8 1000 5000 100 4141 T",
    .params = larson_params,
    .setup = larson_setup,
    .worker = larson_worker,
    .teardown = larson_teardown,
};
