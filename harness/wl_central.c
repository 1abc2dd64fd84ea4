/* central (spanlab only): isolates the mcentral variant. Each thread takes a span of one
 * span class with sl_central_cache and gives it straight back with sl_central_uncache, so
 * every op is one variant call plus the common layer's state changes. Before the timed
 * loop each thread caches `prefill` spans and marks slot 0 of each allocated while it
 * owns it: the spans then circulate as partial spans and are never all free, so the
 * exchange never falls through to the page heap.
 */
#include <errno.h>
#include <stdlib.h>

#include "bench.h"
#include "central.h"

static const sl_bench_param_t central_params[] = {
    {"size", 1024, 1, 32768, "object size whose span class is exchanged"},
    {"noscan", 0, 0, 1, "1: the pointer-free span class of that size"},
    {"prefill", 4, 1, 1024, "partial spans each thread puts into circulation first"},
    SL_BENCH_STALL_PARAMS,
    {NULL, 0, 0, 0, NULL},
};

/* A unique non-zero owner tag per thread: the address of a thread-local byte. */
static _Thread_local char central_owner_tag;

static void central_worker(sl_bench_thread_t *t) {
    unsigned spc = sl_spanclass(sl_size_to_class((size_t)sl_bench_param_get(t->run, "size")),
                                (int)sl_bench_param_get(t->run, "noscan"));
    size_t prefill = (size_t)sl_bench_param_get(t->run, "prefill");
    uintptr_t owner = (uintptr_t)&central_owner_tag;
    sl_span_t **held = calloc(prefill, sizeof *held);
    if (!held)
        sl_bench_oom("central");
    for (size_t i = 0; i < prefill; i++) {
        sl_span_t *s = sl_central_cache(spc, owner, 0);
        if (!s)
            sl_bench_oom("central: prefill");
        s->alloc_bits[0] |= 1; /* owner-only fields: we own s now */
        s->alloc_count = 1;
        held[i] = s;
    }
    for (size_t i = 0; i < prefill; i++)
        sl_central_uncache(held[i], owner);
    free(held);
    sl_bench_ready(t);
    while (!sl_bench_stopped(t)) {
        for (int k = 0; k < 64; k++) {
            sl_span_t *s;
            SL_BENCH_OP(t, s = sl_central_cache(spc, owner, 0));
            if (!s)
                sl_bench_oom("central");
            SL_BENCH_OP(t, sl_central_uncache(s, owner));
        }
    }
    sl_bench_done(t);
}

static int central_setup(sl_bench_run_t *run) {
    return run->be->has_central ? 0 : -ENOTSUP;
}

const sl_bench_workload_t sl_wl_central = {
    .name = "central",
    .summary = "spanlab only: cache_span/uncache_span exchange on one span class (the variant)",
    .params = central_params,
    .spanlab_only = 1,
    .sample_default = 64, /* ~100 ns per op: sampling 1 in 64 costs < 1 % */
    .setup = central_setup,
    .worker = central_worker,
};
