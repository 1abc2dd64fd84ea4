/* Per-thread event counters of the common mcentral layer. Each thread bumps its own block
 * (a plain load and store, no locked instruction, no shared cache line), so counting costs
 * every variant the same and adds no contention; readers sum all blocks under a lock.
 * A thread's block is folded into the totals and recycled when its cache is flushed. */
#ifndef SL_COUNTERS_H
#define SL_COUNTERS_H

#include <stdint.h>

#include "atomic.h"
#include "sizeclass.h"

enum {
    SL_CTR_CACHE,         /* sl_central_cache calls that returned a span */
    SL_CTR_UNCACHE,       /* sl_central_uncache calls */
    SL_CTR_PUT_AVAILABLE, /* parked spans handed to put_available */
    SL_CTR_GROWN,         /* spans taken from the mheap */
    SL_CTR_RETURNED,      /* all-free spans given back to the mheap */
    SL_CTR_PARKS,         /* full spans parked */
    SL_CTR_HOME,          /* parked spans unparked by their home thread onto its home list */
    SL_CTR_SPILL,         /* spans a home list had no room for, sent to the mcentral */
    SL_CTR_LOCAL_FREES,   /* frees recorded owner-locally (no atomics), counted at sweep */
    SL_CTR_REMOTE_FREES,  /* frees through the atomic free bitmap, counted at sweep */
    SL_CTR_SWEPT_ALLOC,   /* sweep policy: unswept spans swept on the allocation path */
    SL_CTR_SWEPT_BG,      /* sweep policy: ... by the background sweeper or sl_scavenge */
    SL_CTR_RECLAIMED,     /* sweep policy: objects those sweeps found freed */
    SL_CTR_CACHE_SLOTS,   /* free slots of the spans sl_central_cache handed out */
    SL_CTR_FLUSH,         /* uncache calls of a span with slots it never handed out */
    SL_CTR_ADOPT,         /* parked spans of another (or an exited) thread taken onto the
                           * freeing thread's home list (home policy) */
    SL_CTR_N
};

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
