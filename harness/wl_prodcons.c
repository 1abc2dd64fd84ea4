/* prodcons (xmalloc style): producers allocate batches of objects and pass them through
 * single-producer/single-consumer rings to consumers, which free them: every free is
 * remote. ceil(T/2) producers, floor(T/2) consumers; producer i feeds consumer i mod C.
 * With one thread, that thread produces a batch and frees it itself (no remote frees).
 * Defaults are mimalloc-bench's `xmalloc-test -w T/2 -t 5 -s 64`: 64-byte objects in
 * batches of 4096, the first 128 bytes of each written, at most 100 batches in flight per
 * queue. The published program has T/2 producers and T/2 consumers on one mutex-protected
 * stack of batches, whose batch headers are themselves malloc'ed; the rings here keep the
 * queue's own cost out of the measurement.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const sl_bench_param_t prodcons_params[] = {
    {"size", 64, 1, 1 << 24, "object size in bytes"},
    {"batch", 4096, 1, 65536, "objects per message"},
    {"depth", 100, 1, 4096, "messages a ring holds before the producer waits"},
    {"touch", 128, 0, 1 << 24, "bytes written in each new object (at most its size)"},
    {NULL, 0, 0, 0, NULL},
};

struct prodcons_ring {
    /* xhead: written by the producer only, read by the consumer (acquire).
     * xtail: written by the consumer only, read by the producer (acquire). */
    _Alignas(64) _Atomic uint64_t xhead;
    _Alignas(64) _Atomic uint64_t xtail;
    _Alignas(64) void **objs; /* depth * batch; slot k belongs to whoever the indices say */
};

struct prodcons {
    struct prodcons_ring *rings; /* one per producer */
    unsigned producers, consumers;
    size_t size, batch, depth, touch;
};

static int prodcons_setup(sl_bench_run_t *run) {
    struct prodcons *pc = calloc(1, sizeof *pc);
    if (!pc)
        return -ENOMEM;
    pc->size = (size_t)sl_bench_param_get(run, "size");
    pc->batch = (size_t)sl_bench_param_get(run, "batch");
    pc->depth = (size_t)sl_bench_param_get(run, "depth");
    pc->touch = (size_t)sl_bench_param_get(run, "touch");
    if (pc->touch > pc->size)
        pc->touch = pc->size;
    pc->producers = run->nthreads == 1 ? 1 : (run->nthreads + 1) / 2;
    pc->consumers = run->nthreads / 2;
    pc->rings = aligned_alloc(64, sizeof *pc->rings * pc->producers);
    if (!pc->rings)
        return -ENOMEM;
    for (unsigned i = 0; i < pc->producers; i++) {
        atomic_init(&pc->rings[i].xhead, 0);
        atomic_init(&pc->rings[i].xtail, 0);
        pc->rings[i].objs = calloc(pc->depth * pc->batch, sizeof(void *));
        if (!pc->rings[i].objs)
            return -ENOMEM;
    }
    run->shared = pc;
    return 0;
}

static void prodcons_wait(unsigned *spins) {
    if (++*spins < 64) {
        sl_bench_relax();
    } else {
        *spins = 0;
        sched_yield();
    }
}

static void prodcons_produce(sl_bench_thread_t *t, struct prodcons *pc, struct prodcons_ring *r) {
    unsigned spins = 0;
    while (!sl_bench_stopped(t)) {
        uint64_t head = atomic_load_explicit(&r->xhead, memory_order_relaxed);
        /* pairs with prodcons_consume's release of xtail: the slot's old pointers were
         * read before we overwrite them. */
        if (head - atomic_load_explicit(&r->xtail, memory_order_acquire) == pc->depth) {
            prodcons_wait(&spins);
            continue;
        }
        void **slot = r->objs + (head % pc->depth) * pc->batch;
        for (size_t i = 0; i < pc->batch; i++) {
            char *p = sl_bench_alloc(t, pc->size);
            if (!p)
                sl_bench_oom("prodcons");
            memset(p, (int)(i & 0xff), pc->touch);
            slot[i] = p;
        }
        /* pairs with prodcons_consume's acquire of xhead: the consumer sees the pointers
         * and the objects' contents. */
        atomic_store_explicit(&r->xhead, head + 1, memory_order_release);
    }
}

/* Frees every message waiting in r; returns how many. timed = through the measured path. */
static size_t prodcons_consume(sl_bench_thread_t *t, struct prodcons *pc, struct prodcons_ring *r,
                               int timed) {
    size_t n = 0;
    uint64_t tail = atomic_load_explicit(&r->xtail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&r->xhead, memory_order_acquire);
    for (; tail != head; tail++, n++) {
        void **slot = r->objs + (tail % pc->depth) * pc->batch;
        for (size_t i = 0; i < pc->batch; i++) {
            if (timed)
                sl_bench_free(t, slot[i]);
            else
                t->be->free(slot[i]);
        }
        atomic_store_explicit(&r->xtail, tail + 1, memory_order_release);
    }
    return n;
}

static void prodcons_worker(sl_bench_thread_t *t) {
    struct prodcons *pc = t->run->shared;
    if (t->run->nthreads == 1) {
        struct prodcons_ring *r = &pc->rings[0];
        sl_bench_ready(t);
        while (!sl_bench_stopped(t)) {
            for (size_t i = 0; i < pc->batch; i++) {
                char *p = sl_bench_alloc(t, pc->size);
                if (!p)
                    sl_bench_oom("prodcons");
                memset(p, (int)(i & 0xff), pc->touch);
                r->objs[i] = p;
            }
            for (size_t i = 0; i < pc->batch; i++)
                sl_bench_free(t, r->objs[i]);
        }
        sl_bench_done(t);
        return;
    }
    if (t->id < pc->producers) {
        sl_bench_ready(t);
        prodcons_produce(t, pc, &pc->rings[t->id]);
        sl_bench_done(t);
        return;
    }
    unsigned c = t->id - pc->producers, spins = 0;
    sl_bench_ready(t);
    while (!sl_bench_stopped(t)) {
        size_t got = 0;
        for (unsigned p = c; p < pc->producers; p += pc->consumers)
            got += prodcons_consume(t, pc, &pc->rings[p], 1);
        if (!got)
            prodcons_wait(&spins);
    }
    sl_bench_done(t);
    /* Every producer has left its loop (end barrier): drain what is left, untimed. */
    for (unsigned p = c; p < pc->producers; p += pc->consumers)
        prodcons_consume(t, pc, &pc->rings[p], 0);
}

static void prodcons_teardown(sl_bench_run_t *run) {
    struct prodcons *pc = run->shared;
    for (unsigned i = 0; i < pc->producers; i++)
        free(pc->rings[i].objs);
    free(pc->rings);
    free(pc);
}

const sl_bench_workload_t sl_wl_prodcons = {
    .name = "prodcons",
    .summary = "producers allocate, consumers free (remote frees through SPSC rings)",
    .source = "xmalloc-test (Lever & Boreham, USENIX 2000); defaults as mimalloc-bench runs "
              "it: xmalloc-test -w T/2 -t 5 -s 64",
    .params = prodcons_params,
    .setup = prodcons_setup,
    .worker = prodcons_worker,
    .teardown = prodcons_teardown,
};
