/* The public malloc family: the fast paths (count-trailing-zeros allocation, owner-local
 * free without atomics), large objects, and the checks that turn bad frees into one
 * clear line. Neighbours: mcache.c (slow path), tiny.c, mheap.c, central.c. */
#include <errno.h>
#include <string.h>

#include "central.h"
#include "fatal.h"
#include "malloc_internal.h"
#include "mcache.h"
#include "mheap.h"
#include "scavenger.h"
#include "spanlab.h"
#include "policy.h"
#include "tiny.h"

/* Requests above this fail with ENOMEM (the 47-bit user address space). */
#define SL_MAX_ALLOC ((size_t)1 << 46)

/* Allocations answered NULL + ENOMEM for lack of memory (stats; relaxed). */
static _Atomic uint64_t xenomem;

uint64_t sl_malloc_enomem(void) {
    return sl_load_relaxed(&xenomem);
}

/* Out of memory: before answering NULL, give back what this thread and the mcentrals hold
 * but do not use -- what the policy keeps (home lists; under sweep, a forced cycle swept
 * at once, which folds in every free), the page cache's free pages and all-free spans --
 * so that a retry can find them (Go collects garbage before it reports out of memory). */
static void reclaim_before_failing(void) {
    if (sl_policy_active->drain)
        sl_policy_active->drain();
    sl_mcache_t *c = sl_mcache_current();
    if (c)
        sl_mheap_flush_pagecache(&c->pcache);
    sl_central_release_empty();
}

static void *out_of_memory(void) {
    sl_fetch_add_relaxed(&xenomem, 1);
    errno = ENOMEM;
    return NULL;
}

/* Everything but the fast path: initialisation (or the bootstrap arena while this very
 * thread initialises), the first cache of a thread, refill from the mcentral. */
static __attribute__((noinline)) void *alloc_refill(size_t size, unsigned spc, bool zero,
                                                    sl_span_t **span_out) {
    void *early;
    if (sl_tls_mcache == &sl_mcache_empty && !sl_init_gate(size, 16, &early))
        return early; /* the bootstrap is static, never reused: zero */
    bool needzero;
    void *p = sl_mcache_alloc_slow(spc, &needzero);
    if (!p) {
        reclaim_before_failing();
        if (!(p = sl_mcache_alloc_slow(spc, &needzero)))
            return out_of_memory();
    }
    if (zero && needzero)
        memset(p, 0, sl_class_to_size[sl_spanclass_sizeclass(spc)]);
    if (span_out)
        *span_out = sl_tls_mcache->alloc[spc];
    return p;
}

/* The hit: a free slot in the current window of this thread's span of the class. The
 * cache holds only slots of that window below nelems (span.c:window_free), so a set bit
 * is a slot to take; an empty cache (the window or the span is used up, or the sentinel
 * span of a thread without a cache) goes out of line. */
static inline void *alloc_fast(size_t size, unsigned spc, bool zero, sl_span_t **span_out) {
    sl_span_t *s = sl_tls_mcache->alloc[spc];
    uint64_t cache = s->alloc_cache;
    if (__builtin_expect(cache != 0, 1)) {
        unsigned t = (unsigned)__builtin_ctzll(cache);
        unsigned idx = s->freeindex + t;
        s->alloc_cache = (cache >> t) >> 1; /* t + 1 may be 64 */
        s->freeindex = (uint16_t)(idx + 1);
        void *p = sl_span_obj(s, idx);
        if (zero && s->needzero)
            memset(p, 0, s->elemsize);
        if (span_out)
            *span_out = s;
        return p;
    }
    return alloc_refill(size, spc, zero, span_out);
}

void *sl_alloc_spc(unsigned spc, bool zero, sl_span_t **span_out) {
    return alloc_fast(SL_TINY_SIZE, spc, zero, span_out);
}

static void *alloc_large(size_t size, int noscan, bool zero, size_t align_pages) {
    if (size > SL_MAX_ALLOC) {
        errno = ENOMEM;
        return NULL;
    }
    void *early;
    if (!sl_init_gate(size, align_pages << SL_PAGE_SHIFT, &early))
        return early;
    size_t npages = (size + SL_PAGE_SIZE - 1) >> SL_PAGE_SHIFT;
    sl_mcache_t *c = sl_mcache_current();
    unsigned spc = sl_spanclass(0, noscan);
    sl_span_t *s = sl_mheap_alloc_span(c ? &c->pcache : NULL, npages, spc, align_pages);
    if (!s) {
        reclaim_before_failing();
        if (!(s = sl_mheap_alloc_span(c ? &c->pcache : NULL, npages, spc, align_pages)))
            return out_of_memory();
    }
    if (zero && s->needzero)
        memset((void *)s->base, 0, npages << SL_PAGE_SHIFT);
    sl_scavenger_start();
    return (void *)s->base;
}

static inline void *alloc_small(size_t size, int noscan, bool zero) {
    return alloc_fast(size, sl_spanclass(sl_size_to_class(size), noscan), zero, NULL);
}

static __attribute__((noinline)) void *malloc_other(size_t size) {
    if (size == 0)
        return alloc_small(1, 0, false);
    return alloc_large(size, 0, false, 1);
}

void *sl_malloc(size_t size) {
    if (__builtin_expect(size - 1 < SL_MAX_SMALL_SIZE, 1)) /* 1 .. 32768 */
        return alloc_small(size, 0, false);
    return malloc_other(size);
}

void *sl_malloc_noscan(size_t size) {
    if (size == 0)
        size = 1;
    void *early;
    if (size < SL_TINY_SIZE) {
        if (__builtin_expect(sl_tls_mcache == &sl_mcache_empty, 0) &&
            !sl_init_gate(size, 16, &early))
            return early;
        return sl_tiny_alloc(size);
    }
    if (size > SL_MAX_SMALL_SIZE)
        return alloc_large(size, 1, false, 1);
    unsigned spc = sl_spanclass(sl_size_to_class(size), 1);
    if (spc != SL_TINY_SPAN_CLASS)
        return alloc_small(size, 1, false);
    if (__builtin_expect(sl_tls_mcache == &sl_mcache_empty, 0) && !sl_init_gate(size, 16, &early))
        return early;
    sl_span_t *s;
    void *p = alloc_fast(size, spc, false, &s);
    if (p)
        sl_tiny_note_whole(s, (uintptr_t)p);
    return p;
}

void *sl_calloc(size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (total <= SL_MAX_SMALL_SIZE)
        return alloc_small(total ? total : 1, 0, true);
    return alloc_large(total, 0, true, 1);
}

/* --- free --------------------------------------------------------------------------- */

static inline unsigned object_index(sl_span_t *s, uintptr_t a) {
    return sl_divmul_index(a - s->base, s->divmul);
}

/* Remote free (the span is not this thread's): one atomic OR into the span's free
 * bitmap, then unpark it if parked. */
static void free_remote(sl_span_t *s, unsigned idx) {
    unsigned w = idx / 64;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    /* Read before the OR: once our bit is in, a sweep may free the span and the mheap
     * reuse its descriptor. model sweep.cc:elemsize_before_or */
    uint32_t elemsize = s->elemsize;
    /* seq_cst: Dekker pair with the owner's park (store state, then read frees).
     * Release also orders our writes to the object before its reuse.
     * pairs with central.c:uncache and span.c:sl_span_sweep
     * models park.cc:free_or, sweep.cc:free_or, home.cc:free_or */
    uint64_t old = sl_fetch_or_seqcst(&s->xfree_bits[w], bit);
    if (old & bit)
        sl_report_bad("double free of %p", sl_span_obj(s, idx));
    if (sl_central_sweep_mode) {
        sl_central_live_freed(elemsize);
        return; /* a free never changes a span's state under sweep */
    }
    /* The state after our bit: a park we miss sees the bit.
     * models park.cc:free_state_load, home.cc:free_state_load */
    if (sl_load_seqcst(&s->xstate) == SL_SPAN_PARKED &&
        (sl_span_unpark_pct == 0 || sl_span_unpark_ready(s)))
        sl_central_note_free_remote(s);
}

static __attribute__((noinline, cold)) _Noreturn void double_free(sl_span_t *s, unsigned idx) {
    sl_report_bad("double free of %p", sl_span_obj(s, idx));
}

/* Owner-local free: this thread's cache owns the span (its current span of the class, or
 * one on its home list), so the owner-only fields are ours (no atomics). The slot comes
 * back at the next sweep. The slot must be allocated (at the last sweep, or since: below
 * freeindex) and not freed since. The alloc bit is tested first: under random lifetimes
 * most frees are of objects older than the span's last sweep (bit set), and a thread
 * freeing what it just allocated finds the bit clear and the slot below freeindex, so
 * both branches are predictable; the other order made "below freeindex" a coin toss under
 * random lifetimes (README, "The fast path"). */
static inline void free_local(sl_span_t *s, unsigned idx) {
    unsigned w = idx / 64;
    uint64_t bit = (uint64_t)1 << (idx % 64);
    bool allocated = (s->alloc_bits[w] & bit) || idx < s->freeindex;
    if (__builtin_expect(!allocated || (s->local_free[w] & bit), 0))
        double_free(s, idx);
    s->local_free[w] |= bit;
}

/* True when this thread's cache owns s. Only the owner moves xowner away from its own
 * value, so the relaxed load cannot see our cache while another thread owns the span. A
 * recycled cache owns nothing of its earlier thread's (the flush gave every span back). */
static inline bool owned_here(sl_span_t *s) {
    return sl_load_relaxed(&s->xowner) == (uintptr_t)sl_tls_mcache;
}

void sl_free_slot(sl_span_t *s, unsigned idx) {
    if (owned_here(s))
        free_local(s, idx);
    else
        free_remote(s, idx);
}

static _Noreturn void bad_pointer(const void *p, const char *why) {
    sl_report_bad("invalid free of %p: %s", p, why);
}

static __attribute__((noinline)) void free_unknown(void *p) {
    if (!p || sl_bootstrap_owns(p))
        return; /* free(NULL); the bootstrap arena is never reused */
    bad_pointer(p, "not a pointer from spanlab");
}

/* Every free the fast path does not finish (s: the fast lookup's answer): not ours or NULL, a large
 * object, a span another thread owns, a tiny object, and every bad pointer. */
static __attribute__((noinline)) void free_slow(sl_span_t *s, uintptr_t a) {
    if (!s && !(s = sl_spanmap_lookup_far(a))) {
        free_unknown((void *)a);
        return;
    }
    uint32_t st = sl_span_state(s);
    if (st == SL_SPAN_LARGE) {
        if (a != s->base)
            bad_pointer((void *)a, "interior pointer of a large object");
        uint32_t large = SL_SPAN_LARGE;
        if (!sl_cas_acq_rel(&s->xstate, &large, SL_SPAN_TRANSIT))
            sl_report_bad("double free of %p", (void *)a);
        sl_mheap_free_span(s);
        return;
    }
    if (st == SL_SPAN_DEAD || a < s->base || a >= s->limit) {
        if (sl_spanclass_sizeclass(s->spanclass) == 0 && a == s->base)
            sl_report_bad("double free of %p", (void *)a);
        bad_pointer((void *)a, "not allocated (already freed, or not from spanlab)");
    }
    unsigned idx = object_index(s, a);
    if (s->spanclass == SL_TINY_SPAN_CLASS) {
        sl_tiny_free(s, idx, a);
        return;
    }
    if (a != (uintptr_t)sl_span_obj(s, idx))
        bad_pointer((void *)a, "interior pointer");
    sl_free_slot(s, idx);
}

/* The owner-local hit: the span is this thread's, p is the start of one of its objects
 * (not a tiny one: those share a 16-byte slot). Everything else goes out of line, bad
 * pointers included; the double-free check stays here (free_local). */
void sl_free(void *p) {
    uintptr_t a = (uintptr_t)p;
    sl_span_t *s = sl_spanmap_lookup_near(a);
    if (__builtin_expect(s != NULL && owned_here(s) && s->spanclass != SL_TINY_SPAN_CLASS, 1)) {
        unsigned idx = object_index(s, a);
        if (__builtin_expect(a == (uintptr_t)sl_span_obj(s, idx) && idx < s->nelems, 1)) {
            free_local(s, idx);
            return;
        }
    }
    free_slow(s, a);
}

size_t sl_usable_size(const void *p) {
    if (!p)
        return 0;
    uintptr_t a = (uintptr_t)p;
    sl_span_t *s = sl_spanmap_lookup(a);
    if (!s)
        return sl_bootstrap_owns(p) ? sl_bootstrap_usable(p) : 0;
    if (sl_spanclass_sizeclass(s->spanclass) == 0)
        return (size_t)s->npages << SL_PAGE_SHIFT;
    if (s->spanclass == SL_TINY_SPAN_CLASS)
        return sl_tiny_usable(s, object_index(s, a), a);
    return s->elemsize;
}

void *sl_realloc(void *p, size_t size) {
    if (!p)
        return sl_malloc(size);
    if (size == 0) {
        sl_free(p);
        return NULL;
    }
    size_t old = sl_usable_size(p); /* 0 only for a pointer spanlab does not know */
    if (old == 0)
        bad_pointer(p, "realloc of a pointer not from spanlab");
    /* Keep the block when the request still fits and would not fit a smaller class. */
    if (size <= old && (old <= SL_MAX_SMALL_SIZE ? size > old / 2 : size > old - SL_PAGE_SIZE) &&
        !sl_bootstrap_owns(p))
        return p;
    void *q = sl_malloc(size);
    if (!q)
        return size <= old ? p : NULL; /* a shrink needs no new block: keep the old one */
    memcpy(q, p, old < size ? old : size);
    sl_free(p);
    return q;
}

void *sl_aligned_alloc(size_t align, size_t size) {
    if (align == 0 || (align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (align <= 8)
        return sl_malloc(size);
    if (size == 0)
        size = 1;
    if (align <= SL_PAGE_SIZE && size <= SL_MAX_SMALL_SIZE) {
        /* Objects sit at base + i * size with a page-aligned base: a class whose size is
         * a multiple of align gives that alignment. */
        for (unsigned sc = sl_size_to_class(size); sc < SL_NUM_SIZE_CLASSES; sc++)
            if (sl_class_to_size[sc] % align == 0) {
                void *early;
                if (__builtin_expect(sl_tls_mcache == &sl_mcache_empty, 0) &&
                    !sl_init_gate(size, align, &early))
                    return early;
                return alloc_fast(size, sl_spanclass(sc, 0), false, NULL);
            }
    }
    size_t align_pages = align > SL_PAGE_SIZE ? align >> SL_PAGE_SHIFT : 1;
    if (align_pages > (SL_MAX_ALLOC >> SL_PAGE_SHIFT)) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_large(size > SL_MAX_SMALL_SIZE ? size : SL_MAX_SMALL_SIZE + 1, 0, false,
                       align_pages);
}

int sl_posix_memalign(void **out, size_t align, size_t size) {
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    int saved = errno;
    void *p = sl_aligned_alloc(align, size);
    if (!p) {
        int e = errno;
        errno = saved;
        return e ? e : ENOMEM;
    }
    *out = p;
    return 0;
}

void sl_thread_exit(void) {
    sl_mcache_flush();
}
