/* Per-thread event counters of the common mcentral layer. Each thread bumps its own block
 * (a plain load and store, no locked instruction, no shared cache line), so counting costs
 * every variant the same and adds no contention; readers sum all blocks under a lock.
 * A thread's block is folded into the totals and recycled when its cache is flushed. */
#ifndef SL_COUNTERS_H
#define SL_COUNTERS_H

#include <stdint.h>

#include "atomic.h"
#include "sizeclass.h"
#include "spanlab.h"

/* SL_CTR_IF(kind, ...): the rest for a TALLY counter of SL_CENTRAL_COUNTERS (spanlab.h),
 * nothing for a counter of another kind. */
#define SL_CTR_IF(kind, ...) SL_CTR_IF_##kind(__VA_ARGS__)
#define SL_CTR_IF_TALLY(...) __VA_ARGS__
#define SL_CTR_IF_VARIANT(...)
#define SL_CTR_IF_GLOBAL(...)
#define SL_CTR_IF_GAUGE(...)

/* The tallies: SL_CTR_<name> for each TALLY counter, in the list's order, then SL_CTR_PARKS
 * (full spans parked), from which only the gauges are derived. */
#define SL_CTR_ENUMERATOR(name, kind) SL_CTR_IF(kind, SL_CTR_##name, )
enum { SL_CENTRAL_COUNTERS(SL_CTR_ENUMERATOR) SL_CTR_PARKS, SL_CTR_N };

typedef struct sl_counters_block sl_counters_block_t;
struct sl_counters_block {
    /* Written only by the owning thread (relaxed load + store); read by sl_counters_read. */
    _Atomic uint64_t v[SL_NUM_SPAN_CLASSES][SL_CTR_N];
    sl_counters_block_t *next; /* under the counters lock */
    int shared;                /* the fallback block: updated with atomic adds */
};

extern __thread sl_counters_block_t *sl_tls_counters;

sl_counters_block_t *sl_counters_attach(void);

static inline void sl_counter_add(unsigned spc, unsigned k, uint64_t n) {
    sl_counters_block_t *b = sl_tls_counters;
    if (__builtin_expect(!b, 0))
        b = sl_counters_attach();
    _Atomic uint64_t *p = &b->v[spc][k];
    if (__builtin_expect(b->shared, 0))
        sl_fetch_add_relaxed(p, n);
    else
        sl_store_relaxed(p, sl_load_relaxed(p) + n);
}

static inline void sl_counter_bump(unsigned spc, unsigned k) {
    sl_counter_add(spc, k, 1);
}

/* Totals of class spc over every thread, exited ones included. */
void sl_counters_read(unsigned spc, uint64_t out[SL_CTR_N]);

/* Fold this thread's block into the totals and recycle it. */
void sl_counters_thread_exit(void);

void sl_counters_atfork_prepare(void);
void sl_counters_atfork_parent(void);
void sl_counters_atfork_child(void);

#endif
