/* The page heap: grows in 64 MiB arenas (smaller reservations under an address-space
 * limit), hands out page runs as spans, keeps the page -> span map, and recycles span
 * descriptors (never unmapped: type-stable). Out of memory is an answer: every path that
 * allocates undoes what it took and returns NULL with errno = ENOMEM.
 * Lock order: a variant's lock -> scavenge_lock -> heap_lock -> the metadata lock (os.c). */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "fatal.h"
#include "mheap.h"
#include "os.h"
#include "tiny.h"

/* The page allocator's dirty-first pass covers exactly the runs that bypass the page
 * caches (pagealloc.c, sl_pagealloc_alloc_locked, says why). */
_Static_assert(SL_DIRTY_FIRST_PAGES == SL_PAGECACHE_MAX,
               "dirty first starts at the page cache's limit");

_Atomic(uintptr_t) sl_arenas[(size_t)1 << SL_ARENA_L1_BITS];

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
/* Held for a whole scavenge: sl_scavenge() waits for a background pass's run in flight,
 * so when it returns every free page is released. */
static pthread_mutex_t scavenge_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_pagealloc_t pages;  /* under heap_lock */
static sl_span_t *free_descs; /* under heap_lock; linked by heap_next */
/* Statistics, relaxed: the page-cache path updates them without the lock. */
static _Atomic size_t inuse_pages;  /* pages owned by spans */
static _Atomic size_t cached_pages; /* free pages held by page caches */
static _Atomic size_t nspans_small;
static _Atomic size_t nspans_large;
static _Atomic size_t large_pages;
static uint64_t scavenge_passes;              /* under heap_lock */
static _Atomic uint64_t scav_releases;        /* madvise calls */
static _Atomic uint64_t scav_pages_released;  /* pages released, in total */
static _Atomic uint64_t scav_pages_refaulted; /* released pages handed out again */
static size_t meta_pages;                     /* under heap_lock: heap pages turned into metadata */
static size_t reservations;                   /* under heap_lock */
static size_t reservations_reduced;           /* smaller than asked for (address-space limit) */

/* This thread holds heap_lock while it allocates metadata: the metadata fallback must not
 * take the lock again. */
static __thread bool meta_under_heap_lock;

static void *meta_alloc_locked(size_t size) {
    meta_under_heap_lock = true;
    void *p = sl_os_meta_alloc(size);
    meta_under_heap_lock = false;
    return p;
}

void *sl_mheap_meta_fallback(size_t need, size_t want, size_t *got) {
    bool lock = !meta_under_heap_lock;
    size_t npages = (want + SL_PAGE_SIZE - 1) >> SL_PAGE_SHIFT,
           min = (need + SL_PAGE_SIZE - 1) >> SL_PAGE_SHIFT;
    bool needzero = true;
    if (lock)
        pthread_mutex_lock(&heap_lock);
    uintptr_t a = sl_pagealloc_alloc_high_locked(&pages, npages, &needzero);
    if (!a && min < npages)
        a = sl_pagealloc_alloc_high_locked(&pages, npages = min, &needzero);
    if (a)
        meta_pages += npages;
    if (lock)
        pthread_mutex_unlock(&heap_lock);
    if (!a) {
        errno = ENOMEM;
        return NULL;
    }
    if (needzero)
        memset((void *)a, 0, npages << SL_PAGE_SHIFT);
    *got = npages << SL_PAGE_SHIFT;
    return (void *)a;
}

static sl_span_t *desc_alloc_locked(void) {
    if (!free_descs) {
        enum { BATCH = 64 };
        sl_span_t *d = meta_alloc_locked(BATCH * sizeof *d);
        if (!d)
            return NULL;
        for (int i = 0; i < BATCH; i++) {
            d[i].heap_next = free_descs;
            free_descs = &d[i];
        }
    }
    sl_span_t *s = free_descs;
    free_descs = s->heap_next;
    return s;
}

/* Grow by at least npages. A whole arena (or enough of them for a huge request) when the
 * OS gives one; under an address-space limit, the largest power-of-two fraction of an arena
 * it still gives, down to what the request needs rounded up to a page-cache block. The
 * trade-off: a reduced reservation is a region of its own in the page allocator (one more
 * region to search, and no span can straddle two regions), but a heap that can no longer
 * reserve 64 MiB keeps serving from the space the limit leaves. All metadata is allocated
 * before the region is published; on failure the reservation is undone. Arena tables
 * already installed stay: one per 64 MiB of address space, reused by the next reservation
 * there, and a table without memory behind it maps nothing. */
static int grow_locked(size_t npages) {
    size_t need = ((npages + SL_BLOCK_PAGES - 1) & ~(size_t)(SL_BLOCK_PAGES - 1)) << SL_PAGE_SHIFT;
    size_t full = (need + SL_ARENA_SIZE - 1) & ~(SL_ARENA_SIZE - 1);
    size_t bytes = full;
    void *mem = sl_os_reserve(bytes, SL_ARENA_SIZE);
    while (!mem && bytes > need) {
        bytes = bytes <= SL_ARENA_SIZE && bytes / 2 >= need ? bytes / 2 : need;
        mem = sl_os_reserve(bytes, SL_BLOCK_PAGES << SL_PAGE_SHIFT);
    }
    if (!mem)
        return -1;
    uintptr_t base = (uintptr_t)mem;
    if ((base + bytes - 1) >> SL_ARENA_SHIFT >> SL_ARENA_L1_BITS)
        goto undo; /* beyond the page -> span map (mheap.h) */
    /* A reservation on a slot boundary keeps the slot's table in its own first pages (the
     * arena header) when the request still fits beside it (else the table is metadata),
     * published only once the region exists: an undone reservation leaves no table
     * pointing into unmapped memory. */
    bool header = (base & (SL_ARENA_SIZE - 1)) == 0 &&
                  (bytes >> SL_PAGE_SHIFT) >= npages + SL_ARENA_HDR_PAGES &&
                  !sl_load_relaxed(&sl_arenas[base >> SL_ARENA_SHIFT]);
    for (uintptr_t a = base & ~(SL_ARENA_SIZE - 1); a < base + bytes; a += SL_ARENA_SIZE) {
        if (sl_load_relaxed(&sl_arenas[a >> SL_ARENA_SHIFT]))
            continue; /* a reduced reservation shares this 64 MiB with an earlier one */
        if (header && a == base)
            continue;
        sl_arena_t *ar = meta_alloc_locked(sizeof *ar);
        if (!ar)
            goto undo;
        /* Release: the zeroed table is visible before a lookup can find it.
         * pairs with mheap.h:sl_spanmap_lookup_near */
        sl_store_release(&sl_arenas[a >> SL_ARENA_SHIFT], (uintptr_t)ar);
    }
    meta_under_heap_lock = true; /* the region's bitmaps */
    int r = sl_pagealloc_grow_locked(&pages, base, bytes >> SL_PAGE_SHIFT);
    meta_under_heap_lock = false;
    if (r < 0)
        goto undo;
    if (header) {
        sl_pagealloc_take_front_locked(&pages, base, SL_ARENA_HDR_PAGES);
        meta_pages += SL_ARENA_HDR_PAGES;
        /* Release: as above (the header is a fresh mapping: zero).
         * pairs with mheap.h:sl_spanmap_lookup */
        sl_store_release(&sl_arenas[base >> SL_ARENA_SHIFT], base | SL_ARENA_HEADER);
    }
    reservations++;
    if (bytes < full)
        reservations_reduced++;
    return 0;
undo:
    sl_os_unreserve(mem, bytes);
    return -1;
}

sl_span_t *sl_spanmap_lookup_far(uintptr_t p) {
    if ((p >> SL_ARENA_SHIFT) >> SL_ARENA_L1_BITS)
        return NULL;
    /* Acquire: the table is zeroed before it is published. pairs with mheap.c:grow_locked */
    sl_arena_t *a = sl_arena_table(sl_load_acquire(&sl_arenas[p >> SL_ARENA_SHIFT]));
    if (!a)
        return NULL;
    return sl_load_relaxed(&a->spans[(p >> SL_PAGE_SHIFT) & (SL_ARENA_PAGES - 1)]);
}

/* Point every page of s at s in the page -> span map. */
static void spanmap_set(sl_span_t *s) {
    for (uintptr_t p = s->base; p < s->base + ((uintptr_t)s->npages << SL_PAGE_SHIFT);
         p += SL_PAGE_SIZE) {
        sl_arena_t *a = sl_arena_table(sl_load_relaxed(&sl_arenas[p >> SL_ARENA_SHIFT]));
        sl_store_relaxed(&a->spans[(p >> SL_PAGE_SHIFT) & (SL_ARENA_PAGES - 1)], s);
    }
}

static void init_span(sl_span_t *s, uintptr_t base, size_t npages, unsigned spc, bool needzero) {
    unsigned sc = sl_spanclass_sizeclass(spc);
    s->base = base;
    s->npages = (uint32_t)npages;
    s->spanclass = (uint8_t)spc;
    if (sc == 0) {
        s->elemsize = (uint32_t)(npages << SL_PAGE_SHIFT);
        s->nelems = 1;
        s->divmul = 0;
        s->limit = base + (npages << SL_PAGE_SHIFT);
    } else {
        s->elemsize = sl_class_to_size[sc];
        s->nelems = sl_class_to_nelems[sc];
        s->divmul = sl_class_to_divmul[sc];
        s->limit = base + (uintptr_t)s->nelems * s->elemsize;
    }
    s->freeindex = 0;
    s->alloc_count = 0;
    memset(s->alloc_bits, 0, sizeof s->alloc_bits);
    sl_span_refill_cache(s); /* all free, bits past nelems clear */
    memset(s->local_free, 0, sizeof s->local_free);
    for (unsigned w = 0; w < SL_SPAN_WORDS; w++)
        sl_store_relaxed(&s->xfree_bits[w], 0);
    s->needzero = needzero;
    sl_store_relaxed(&s->xowner, 0);
    sl_fetch_add_relaxed(&s->xgen, 1);
    if (spc == SL_TINY_SPAN_CLASS) {
        _Atomic uint32_t *t = s->tiny_words; /* desc_ready made it */
        for (unsigned i = 0; i < s->nelems; i++)
            sl_store_relaxed(&t[i], 0);
        sl_tiny_clear_ends(s);
    }
    spanmap_set(s);
    /* Release: every field above is visible to whoever receives the span through an
     * atomic hand-off. pairs with central.c:sl_central_cache */
    sl_store_release(&s->xstate, sc == 0 ? SL_SPAN_LARGE : SL_SPAN_TRANSIT);
}

/* A descriptor can serve span class spc: a tiny span needs its side table, made once per
 * descriptor (and kept). False when metadata memory is exhausted. */
static bool desc_ready(sl_span_t *s, unsigned spc, bool locked) {
    if (spc != SL_TINY_SPAN_CLASS || s->tiny_words)
        return true;
    size_t size = SL_MAX_OBJS_PER_SPAN * SL_TINY_SIDE_BYTES;
    s->tiny_words = locked ? meta_alloc_locked(size) : sl_os_meta_alloc(size);
    return s->tiny_words != NULL;
}

/* Page cache fast path: npages contiguous free pages inside the cached block. */
static uintptr_t pagecache_alloc(sl_pagecache_t *pc, size_t npages, bool *needzero) {
    if (!pc->free)
        return 0;
    uint64_t run = npages == 64 ? ~(uint64_t)0 : (((uint64_t)1 << npages) - 1);
    for (unsigned i = (unsigned)__builtin_ctzll(pc->free); i + npages <= 64; i++) {
        if (((pc->free >> i) & run) == run) {
            uint64_t m = run << i;
            *needzero = (pc->scav & m) != m;
            if (pc->rel & m)
                sl_fetch_add_relaxed(&scav_pages_refaulted,
                                     (size_t)__builtin_popcountll(pc->rel & m));
            pc->free &= ~m;
            pc->scav &= ~m;
            pc->rel &= ~m;
            sl_fetch_sub_relaxed(&cached_pages, npages);
            return pc->base + ((uintptr_t)i << SL_PAGE_SHIFT);
        }
    }
    return 0;
}

static void pagecache_flush_locked(sl_pagecache_t *pc) {
    if (pc->base && pc->free) {
        sl_pagealloc_return_block_locked(&pages, pc->base, pc->free, pc->scav, pc->rel);
        sl_fetch_sub_relaxed(&cached_pages, (size_t)__builtin_popcountll(pc->free));
    }
    pc->base = 0;
    pc->free = pc->scav = pc->rel = 0;
}

static void pagecache_refill_locked(sl_pagecache_t *pc) {
    pagecache_flush_locked(pc);
    pc->base = sl_pagealloc_take_block_locked(&pages, &pc->free, &pc->scav, &pc->rel);
    if (!pc->base && grow_locked(SL_BLOCK_PAGES) == 0)
        pc->base = sl_pagealloc_take_block_locked(&pages, &pc->free, &pc->scav, &pc->rel);
    if (pc->base)
        sl_fetch_add_relaxed(&cached_pages, (size_t)__builtin_popcountll(pc->free));
    while (pc->nstash < SL_DESC_STASH) {
        sl_span_t *d = desc_alloc_locked();
        if (!d)
            break;
        pc->stash[pc->nstash++] = d;
    }
}

static uintptr_t heap_alloc_locked(size_t npages, size_t align_pages, bool *needzero) {
    size_t reused = 0;
    uintptr_t base = sl_pagealloc_alloc_locked(&pages, npages, align_pages, needzero, &reused);
    if (!base && grow_locked(npages + align_pages) == 0)
        base = sl_pagealloc_alloc_locked(&pages, npages, align_pages, needzero, &reused);
    if (reused)
        sl_fetch_add_relaxed(&scav_pages_refaulted, reused);
    return base;
}

sl_span_t *sl_mheap_alloc_span(sl_pagecache_t *pc, size_t npages, unsigned spc,
                               size_t align_pages) {
    uintptr_t base = 0;
    bool needzero = true;
    sl_span_t *s = NULL;
    bool cacheable = npages < SL_PAGECACHE_MAX && align_pages == 1 && pc;
    /* Fast path, no lock: pages from this thread's page cache, a descriptor from its
     * stash (Go's pageCache plus mspan cache). */
    if (cacheable && pc->nstash > 0 && desc_ready(pc->stash[pc->nstash - 1], spc, false) &&
        (base = pagecache_alloc(pc, npages, &needzero)) != 0) {
        s = pc->stash[--pc->nstash];
    } else {
        pthread_mutex_lock(&heap_lock);
        if (cacheable) {
            if (!pc->free || pc->nstash == 0)
                pagecache_refill_locked(pc);
            if (pc->nstash > 0 && desc_ready(pc->stash[pc->nstash - 1], spc, true) &&
                (base = pagecache_alloc(pc, npages, &needzero)) != 0)
                s = pc->stash[--pc->nstash];
        }
        if (!base) { /* the cached block is too fragmented, or no cache: the heap */
            base = heap_alloc_locked(npages, align_pages, &needzero);
            if (base && (!(s = desc_alloc_locked()) || !desc_ready(s, spc, true))) {
                if (s) {
                    s->heap_next = free_descs;
                    free_descs = s;
                }
                sl_pagealloc_free_locked(&pages, base, npages);
                base = 0;
            }
        }
        pthread_mutex_unlock(&heap_lock);
        if (!base) {
            errno = ENOMEM;
            return NULL;
        }
    }
    sl_fetch_add_relaxed(&inuse_pages, npages);
    if (sl_spanclass_sizeclass(spc) == 0) {
        sl_fetch_add_relaxed(&nspans_large, 1);
        sl_fetch_add_relaxed(&large_pages, npages);
    } else {
        sl_fetch_add_relaxed(&nspans_small, 1);
    }
    init_span(s, base, npages, spc, needzero);
    return s;
}

void sl_mheap_free_span(sl_span_t *s) {
    /* The page -> span entries stay (stale, as in Go): a later free of a pointer into
     * these pages finds a DEAD descriptor, or one whose range does not hold it.
     * Release: such a free, reading DEAD, sees the descriptor as this thread left it.
     * pairs with span.h:sl_span_state (malloc.c:free_slow) */
    sl_store_release(&s->xstate, SL_SPAN_DEAD);
    pthread_mutex_lock(&heap_lock);
    sl_pagealloc_free_locked(&pages, s->base, s->npages);
    sl_fetch_sub_relaxed(&inuse_pages, s->npages);
    if (sl_spanclass_sizeclass(s->spanclass) == 0) {
        sl_fetch_sub_relaxed(&nspans_large, 1);
        sl_fetch_sub_relaxed(&large_pages, s->npages);
    } else {
        sl_fetch_sub_relaxed(&nspans_small, 1);
    }
    s->heap_next = free_descs;
    free_descs = s;
    pthread_mutex_unlock(&heap_lock);
}

void sl_mheap_flush_pagecache(sl_pagecache_t *pc) {
    pthread_mutex_lock(&heap_lock);
    pagecache_flush_locked(pc);
    while (pc->nstash > 0) {
        sl_span_t *d = pc->stash[--pc->nstash];
        d->heap_next = free_descs;
        free_descs = d;
    }
    pthread_mutex_unlock(&heap_lock);
}

size_t sl_mheap_scavenge(uint64_t cutoff_ms, size_t max_bytes) {
    size_t released = 0;
    pthread_mutex_lock(&scavenge_lock);
    while (max_bytes - released >= SL_PAGE_SIZE) {
        uintptr_t addr = 0;
        pthread_mutex_lock(&heap_lock);
        size_t n = sl_pagealloc_scav_take_locked(&pages, cutoff_ms,
                                                 (max_bytes - released) >> SL_PAGE_SHIFT, &addr);
        pthread_mutex_unlock(&heap_lock);
        if (n == 0)
            break;
        /* The run is marked in use, so nobody allocates it while the lock is dropped. */
        sl_os_release((void *)addr, n << SL_PAGE_SHIFT);
        pthread_mutex_lock(&heap_lock);
        sl_pagealloc_scav_done_locked(&pages, addr, n);
        pthread_mutex_unlock(&heap_lock);
        sl_fetch_add_relaxed(&scav_releases, 1);
        sl_fetch_add_relaxed(&scav_pages_released, n);
        released += n << SL_PAGE_SHIFT;
    }
    if (released) {
        pthread_mutex_lock(&heap_lock);
        scavenge_passes++;
        pthread_mutex_unlock(&heap_lock);
    }
    pthread_mutex_unlock(&scavenge_lock);
    return released;
}

bool sl_mheap_take_reuse(uint64_t window_ms, uint64_t *idle_ms) {
    pthread_mutex_lock(&heap_lock);
    bool seen = sl_pagealloc_take_reuse_locked(&pages, window_ms, idle_ms);
    pthread_mutex_unlock(&heap_lock);
    return seen;
}

uint64_t sl_mheap_clock_ms(void) {
    return sl_pagealloc_now_ms(&pages); /* reads no shared state but the clock hook */
}

size_t sl_mheap_large_bytes(void) {
    return sl_load_relaxed(&large_pages) << SL_PAGE_SHIFT;
}

void sl_mheap_stats(struct sl_stats *out) {
    pthread_mutex_lock(&heap_lock);
    size_t scav, free_pages = sl_pagealloc_free_pages_locked(&pages, &scav);
    out->heap_mapped = pages.mapped_bytes;
    out->heap_inuse = sl_load_relaxed(&inuse_pages) << SL_PAGE_SHIFT;
    out->heap_free = (free_pages - scav + sl_load_relaxed(&cached_pages)) << SL_PAGE_SHIFT;
    out->heap_released = scav << SL_PAGE_SHIFT;
    out->spans_small = sl_load_relaxed(&nspans_small);
    out->spans_large = sl_load_relaxed(&nspans_large);
    out->large_inuse = sl_load_relaxed(&large_pages) << SL_PAGE_SHIFT;
    out->scavenges = scavenge_passes;
    out->scav_releases = sl_load_relaxed(&scav_releases);
    out->scav_pages_released = sl_load_relaxed(&scav_pages_released);
    out->scav_pages_refaulted = sl_load_relaxed(&scav_pages_refaulted);
    out->heap_meta = meta_pages << SL_PAGE_SHIFT;
    out->reservations = reservations;
    out->reservations_reduced = reservations_reduced;
    pthread_mutex_unlock(&heap_lock);
}

const char *sl_mheap_verify(void) {
    pthread_mutex_lock(&heap_lock);
    size_t used = 0;
    const char *why = sl_pagealloc_verify_locked(&pages, &used);
    if (!why && used != sl_load_relaxed(&inuse_pages) + sl_load_relaxed(&cached_pages) + meta_pages)
        why = "pages in use differ from the pages of live spans, page caches and metadata";
    pthread_mutex_unlock(&heap_lock);
    return why;
}

void sl_mheap_atfork_prepare(void) {
    pthread_mutex_lock(&scavenge_lock);
    pthread_mutex_lock(&heap_lock);
}

void sl_mheap_atfork_parent(void) {
    pthread_mutex_unlock(&heap_lock);
    pthread_mutex_unlock(&scavenge_lock);
}

void sl_mheap_atfork_child(void) {
    pthread_mutex_init(&heap_lock, NULL);
    pthread_mutex_init(&scavenge_lock, NULL);
}
