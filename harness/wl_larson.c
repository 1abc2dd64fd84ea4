/* larson (Larson & Krishnan's server simulation): each worker slot owns an array of live
 * objects of random sizes; a generation thread replaces random objects for `rounds`
 * ops, then exits and the next generation thread inherits the array, so objects
 * outlive the thread that allocated them and are freed by its successor.
 */
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

static const sl_bench_param_t larson_params[] = {
    {"slots", 1000, 1, 1 << 22, "live objects per worker"},
    {"min", 16, 1, 1 << 24, "smallest object size"},
    {"max", 128, 1, 1 << 24, "largest object size"},
    {"rounds", 10000, 1, 1L << 30, "replacements per generation thread before it hands over"},
    {NULL, 0, 0, 0, NULL},
};

struct larson_slot {
    sl_bench_thread_t *t;
    void **objs;
    size_t n, min, max, rounds;
};

static void *larson_generation(void *arg) {
    struct larson_slot *s = arg;
    sl_bench_thread_t *t = s->t;
    for (size_t r = 0; r < s->rounds && !sl_bench_stopped(t); r++) {
        size_t i = (size_t)(sl_bench_rand(t) % s->n);
        sl_bench_free(t, s->objs[i]);
        char *p = sl_bench_alloc(t, sl_bench_rand_range(t, s->min, s->max));
        if (!p)
            sl_bench_oom("larson");
        p[0] = 1;
        s->objs[i] = p;
    }
    if (t->be->thread_end)
        t->be->thread_end();
    return NULL;
}

static void larson_worker(sl_bench_thread_t *t) {
    struct larson_slot s = {
        .t = t,
        .n = (size_t)sl_bench_param_get(t->run, "slots"),
        .min = (size_t)sl_bench_param_get(t->run, "min"),
        .max = (size_t)sl_bench_param_get(t->run, "max"),
        .rounds = (size_t)sl_bench_param_get(t->run, "rounds"),
    };
    if (s.max < s.min)
        s.max = s.min;
    s.objs = calloc(s.n, sizeof *s.objs);
    if (!s.objs)
        sl_bench_oom("larson");
    for (size_t i = 0; i < s.n; i++) {
        s.objs[i] = t->be->alloc(sl_bench_rand_range(t, s.min, s.max));
        if (!s.objs[i])
            sl_bench_oom("larson");
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
    free(s.objs);
}

const sl_bench_workload_t sl_wl_larson = {
    .name = "larson",
    .summary = "server simulation: objects outlive their thread and are freed by the next one",
    .params = larson_params,
    .worker = larson_worker,
};
