/* The per-thread cache: one span per span class, the tiny block, the page cache. It
 * starts as a static empty sentinel whose spans are always full, so the fast path has
 * no NULL check; the first slow-path allocation gives the thread a real cache, and the
 * thread's exit (pthread key destructor) or sl_thread_exit() flushes it. */
#ifndef SL_MCACHE_H
#define SL_MCACHE_H

#include <stdbool.h>

#include "mheap.h"
#include "span.h"

/* A home list (home policy): spans of one class the cache owns besides its current one
 * (exhausted ones at the tail, ones with a pending free at the head), linked by
 * home_next. Owner-only. */
typedef struct sl_home_list {
    sl_span_t *head, *tail;
    size_t nspans; /* at most the policy's cap in bytes of spans of the class */
} sl_home_list_t;

typedef struct sl_mcache sl_mcache_t;
struct sl_mcache {
    sl_span_t *alloc[SL_NUM_SPAN_CLASSES]; /* owned spans; &sl_span_empty when none */
    uintptr_t tiny;                        /* current tiny block, or 0 */
    unsigned tiny_off;                     /* bytes used in it */
    uint32_t tiny_mask;                    /* start offsets of objects placed in it */
    uint32_t tiny_ends;                    /* last-byte offsets of objects placed in it */
    _Atomic uint16_t *tiny_endw;           /* where tiny_ends is published (tiny.c) */
    sl_pagecache_t pcache;
    sl_mcache_t *next_free; /* recycling list of caches of exited threads */
    /* Incarnation: bumped when the cache is given to a thread and when it is flushed, so
     * a span parked by an earlier user of this memory is not taken for ours. Owner-only. */
    uint64_t gen;
    uint64_t drain_seen; /* policy drain epoch last honoured (sweep: the flush generation) */
    sl_home_list_t home[SL_NUM_SPAN_CLASSES]; /* home policy; empty otherwise */
    bool draining; /* home policy: the lists are being given back; adopt nothing */
};

extern sl_mcache_t sl_mcache_empty;
extern __thread sl_mcache_t *sl_tls_mcache;

/* This thread's cache, or NULL if it has none yet. */
static inline sl_mcache_t *sl_mcache_current(void) {
    sl_mcache_t *c = sl_tls_mcache;
    return c == &sl_mcache_empty ? NULL : c;
}

/* Slow path: an object of span class spc for this thread (refill, sweep, central).
 * NULL with errno = ENOMEM. *needzero says whether the slot may hold old data. */
void *sl_mcache_alloc_slow(unsigned spc, bool *needzero);

/* Give every span, the tiny block and the page cache back; the thread returns to the
 * sentinel. */
void sl_mcache_flush(void);

/* Called once by initialisation. */
int sl_mcache_init(void);
void sl_mcache_atfork_prepare(void);
void sl_mcache_atfork_parent(void);
void sl_mcache_atfork_child(void);

#endif
