/* The span descriptor: a run of pages holding objects of one span class, its allocation
 * bitmaps and the state word that says who owns it. Descriptors are type-stable: they are
 * carved from metadata that is never unmapped, so a lock-free variant may read a stale one.
 */
#ifndef SL_SPAN_H
#define SL_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "sizeclass.h"

#define SL_SPAN_WORDS (SL_MAX_OBJS_PER_SPAN / 64)

/* Span states (xstate). INVARIANT: a live span is owned by exactly one of
 * {an mcache (CACHED: its current span of the class or, under the home policy, one on its
 * home list), the mcentral (AVAILABLE: in a span set or its fallback list; PARKED),
 * a thread moving it (TRANSIT), the mheap (DEAD: the descriptor is free and its pages are
 * back in the page heap)}. Transitions and their memory order: central.h.
 */
enum {
    SL_SPAN_DEAD = 0,  /* descriptor unused; pages belong to the mheap */
    SL_SPAN_CACHED,    /* owned by one mcache (xowner says which) */
    SL_SPAN_AVAILABLE, /* held by its mcentral: in one of its span sets (or fallback list) */
    SL_SPAN_PARKED,    /* full when given back; the first free makes it available */
    SL_SPAN_TRANSIT,   /* claimed by one thread that is moving it (unpark, drain, grow) */
    SL_SPAN_LARGE,     /* one large object (> 32 KiB), owned by the program */
};

typedef struct sl_span sl_span_t;

/* The descriptor is laid out by writer, one group per 64-byte line (or run of lines), so
 * that a remote free's writes never invalidate the lines the owner's fast paths read:
 *   read-mostly   written when the span is set up (and xowner when it changes hands); read
 *                 by every free and by the owner's allocation
 *   owner-only    written by the owning thread's malloc, free and sweep
 *   remote        written by other threads: their frees' bits, the state transitions
 *   links         the variant's and the mheap's list links
 * The offsets are checked below (static asserts). */
#define SL_LINE 64

struct sl_span {
    /* Read-mostly. Immutable while the span is live (set by the mheap before
     * publication), but for xowner and xgen. */
    _Alignas(SL_LINE) uintptr_t base; /* first byte */
    uintptr_t limit;                  /* base + nelems * elemsize (large: base + npages pages) */
    uint32_t npages;                  /* length in 8 KiB pages */
    uint32_t elemsize;                /* object size (large: npages * page size) */
    uint32_t divmul;                  /* object index = ((p - base) * divmul) >> 32 */
    uint16_t nelems;                  /* objects in the span */
    uint8_t spanclass;                /* sizeclass << 1 | noscan; 0/1 for large spans */
    _Atomic uintptr_t xowner;         /* the owning mcache while CACHED, else 0; set by CAS */
    _Atomic uint64_t xgen;            /* bumped each time the descriptor is (re)initialised */
    _Atomic uint32_t *tiny_words;     /* tiny span class: one word per 16-byte block; set once per
                                       * descriptor, before the span is published */

    /* Owner-only: read and written only by the thread that owns the span (see xstate). The
     * allocation fast path's fields first, in the line with the first words of
     * local_free. */
    _Alignas(SL_LINE) uint64_t alloc_cache; /* free slots of freeindex's 64-slot window from
                                             * freeindex on, none past nelems; 1 = free */
    uint16_t freeindex;                     /* slots below it count as allocated */
    uint16_t alloc_count;                   /* objects in use; computed by each sweep */
    bool needzero;                          /* free slots may hold old data */
    uint64_t local_free[SL_SPAN_WORDS];     /* frees by the owning thread since the last sweep */
    uint64_t alloc_bits[SL_SPAN_WORDS];     /* 1 = allocated before the last sweep */
    sl_span_t *home_next;                   /* link in the owning mcache's home list */
    uint8_t home_full_turns;                /* turns of that list that found it full */
    /* Home policy: the mcache that parked the span and that mcache's incarnation then
     * (mcaches are recycled). Written by the owner before it parks the span (the seq_cst
     * store of PARKED publishes them), read by the thread that wins PARKED -> TRANSIT. */
    const void *home;
    uint64_t home_gen;

    /* Remote: written by any thread. */
    _Alignas(SL_LINE) _Atomic uint32_t xstate;  /* SL_SPAN_*; transitions by CAS where two
                                                 * threads race */
    _Atomic uint64_t xfree_bits[SL_SPAN_WORDS]; /* remote frees since the last sweep */

    /* Link fields for the mcentral variant that currently holds the span. Only the
     * variant touches them; each variant documents its use. Type-stable like the rest. */
    _Alignas(SL_LINE) sl_span_t *next;
    void *vlink[4];
    _Atomic uint64_t vword; /* variant-private atomic word (e.g. an RCU list generation) */

    /* A private list link for whoever holds the span alone: the mheap's free-descriptor
     * list (under the heap lock), a class's fallback list in central.c (under its lock),
     * and central.c's drain while it holds the spans it took. */
    sl_span_t *heap_next;
};

#define SL_SPAN_LINE_OF(field) (offsetof(sl_span_t, field) / SL_LINE)
_Static_assert(sizeof(sl_span_t) % SL_LINE == 0, "descriptors fill whole lines");
_Static_assert(_Alignof(sl_span_t) == SL_LINE, "descriptors start on a line");
_Static_assert(offsetof(sl_span_t, tiny_words) + sizeof(void *) <= SL_LINE,
               "the read-mostly fields fit the first line");
_Static_assert(offsetof(sl_span_t, alloc_cache) == SL_LINE, "owner-only fields from line 1");
_Static_assert(SL_SPAN_LINE_OF(freeindex) == 1 && SL_SPAN_LINE_OF(needzero) == 1,
               "the allocation fast path reads one owner line");
_Static_assert(offsetof(sl_span_t, xstate) % SL_LINE == 0 &&
                   offsetof(sl_span_t, xstate) >= offsetof(sl_span_t, home_gen) + 8,
               "remotely written fields on lines of their own");
_Static_assert(offsetof(sl_span_t, next) % SL_LINE == 0 &&
                   offsetof(sl_span_t, next) >=
                       offsetof(sl_span_t, xfree_bits[SL_SPAN_WORDS - 1]) + 8,
               "variant links on lines of their own");
_Static_assert(sizeof(sl_span_t) - offsetof(sl_span_t, next) == SL_LINE, "one links line");

/* The always-full span every slot of an empty mcache points at. */
extern sl_span_t sl_span_empty;

/* Owner-only: sweep -- fold local and remote frees into alloc_bits, recount, reset
 * freeindex and the cache. Returns the number of slots it freed. Aborts on a free of a
 * slot that was not allocated (double or invalid free seen late). */
unsigned sl_span_sweep(sl_span_t *s);
/* The same; *nremote: how many of the slots it freed came from the remote bitmap. */
unsigned sl_span_sweep_counts(sl_span_t *s, unsigned *nremote);

/* Owner-only: (re)load alloc_cache for the 64-slot window containing freeindex. */
void sl_span_refill_cache(sl_span_t *s);

/* Owner-only: next free slot index at or after freeindex, or nelems if none. */
unsigned sl_span_next_free_index(sl_span_t *s);

/* A parked span may become available: at least max(1, nelems * sl_span_unpark_pct / 100)
 * frees are pending in xfree_bits (seq_cst loads; see the park protocol in central.c).
 * The default, 0, is Go's rule as the issue states it: the first free unparks. */
bool sl_span_unpark_ready(sl_span_t *s);
extern unsigned sl_span_unpark_pct;

static inline uint32_t sl_span_state(sl_span_t *s) {
    return sl_load_acquire(&s->xstate);
}

/* Owner-only: the slots free as of the last sweep. */
static inline unsigned sl_span_free_slots(const sl_span_t *s) {
    return (unsigned)s->nelems - s->alloc_count;
}

/* pct percent of s's objects, at least one. */
static inline unsigned sl_span_share(const sl_span_t *s, unsigned pct) {
    unsigned n = (unsigned)s->nelems * pct / 100;
    return n ? n : 1;
}

static inline void *sl_span_obj(const sl_span_t *s, unsigned idx) {
    return (void *)(s->base + (uintptr_t)idx * s->elemsize);
}

#endif
