/* The mheap: arenas, the page allocator behind one lock, span descriptors, the
 * page -> span map used by free, the per-thread page cache, and scavenging. */
#ifndef SL_MHEAP_H
#define SL_MHEAP_H

#include "pagealloc.h"
#include "span.h"
#include "spanlab.h"

/* Arena slots of the page -> span map: the user address space / 64 MiB. The table is
 * address space too (8 bytes a slot, touched only where arenas exist), which a limit
 * counts: x86-64 Linux maps nothing at or above 2^47 unless a caller asks for it, so 2^21
 * slots (16 MiB) cover it; elsewhere 48 bits (32 MiB). mheap.c refuses a reservation the
 * table cannot cover. */
#if defined(__x86_64__)
#define SL_ARENA_L1_BITS 21
#else
#define SL_ARENA_L1_BITS 22
#endif
#define SL_PAGECACHE_MAX 16 /* spans of fewer pages come from the page cache */
#define SL_DESC_STASH    16

/* Per-thread page cache (Go's pageCache): one 64-page aligned block, no lock needed. */
typedef struct sl_pagecache {
    uintptr_t base;
    uint64_t free; /* 1 = page free for this cache */
    uint64_t scav; /* 1 = that free page is scavenged (zero) */
    uint64_t rel;  /* 1 = that scavenged page was released by the scavenger (not fresh) */
    unsigned nstash;
    sl_span_t *stash[SL_DESC_STASH]; /* free descriptors owned by this thread */
} sl_pagecache_t;

/* The page -> span table of one 64 MiB slot of address space. Where a reservation starts
 * on a slot boundary (every whole-arena reservation does), the table is the arena's own
 * header: its first SL_ARENA_HDR_PAGES pages, kept out of the page heap as metadata, so
 * free finds it by arithmetic. Elsewhere (a reduced reservation under an address-space
 * limit, the later slots of a multi-arena reservation) it is a separate metadata block.
 * sl_arenas[slot] is the slot's table either way, tagged SL_ARENA_HEADER when it is the
 * header, or 0: not spanlab memory. The tag keeps slot 0 apart: its header would be at
 * address 0, the value of a slot without a table. */
typedef struct sl_arena {
    _Atomic(sl_span_t *) spans[SL_ARENA_PAGES]; /* page -> span; stale after a free */
} sl_arena_t;

#define SL_ARENA_HDR_PAGES (sizeof(sl_arena_t) >> SL_PAGE_SHIFT)
_Static_assert(sizeof(sl_arena_t) % SL_PAGE_SIZE == 0, "the arena header is whole pages");

#define SL_ARENA_HEADER ((uintptr_t)1)

extern _Atomic(uintptr_t) sl_arenas[(size_t)1 << SL_ARENA_L1_BITS];

/* The table of an sl_arenas[] entry, or NULL. */
static inline sl_arena_t *sl_arena_table(uintptr_t entry) {
    return (sl_arena_t *)(entry & ~SL_ARENA_HEADER);
}

/* The full lookup out of line (any slot; NULL past the map or where no table is). */
sl_span_t *sl_spanmap_lookup_far(uintptr_t p);

/* The fast lookup, arithmetic plus one load: the span whose page holds p when the slot's
 * table is its arena header, else NULL (then ask sl_spanmap_lookup_far). The load of
 * sl_arenas[] that says the table is there decides a branch and is not an input of the
 * table load: the two issue together, and the span's descriptor is the second load of
 * the chain. A pointer past the map (masked index) can never equal its slot's table. */
static inline sl_span_t *sl_spanmap_lookup_near(uintptr_t p) {
    uintptr_t hdr = p & ~(uintptr_t)(SL_ARENA_SIZE - 1);
    size_t ai = (p >> SL_ARENA_SHIFT) & (((size_t)1 << SL_ARENA_L1_BITS) - 1);
    /* Acquire: the zeroed table is visible before its pointer. pairs with mheap.c:grow_locked */
    uintptr_t entry = sl_load_acquire(&sl_arenas[ai]);
    if (__builtin_expect(entry != (hdr | SL_ARENA_HEADER), 0))
        return NULL;
    /* Hide the equality from the compiler, which would otherwise address the table
     * through the value just loaded (one more load on the chain). */
    __asm__("" : "+r"(hdr));
    return sl_load_relaxed(
        &((sl_arena_t *)hdr)->spans[(p >> SL_PAGE_SHIFT) & (SL_ARENA_PAGES - 1)]);
}

/* The span that owns the page holding p, or NULL (not spanlab memory). The descriptor
 * may be stale: callers check its state and range. */
static inline sl_span_t *sl_spanmap_lookup(uintptr_t p) {
    sl_span_t *s = sl_spanmap_lookup_near(p);
    return __builtin_expect(s != NULL, 1) ? s : sl_spanmap_lookup_far(p);
}

/* A new span of npages pages for span class spc (0/1: large), aligned to align_pages
 * pages, state TRANSIT (small) or LARGE. pc may be NULL. NULL with errno = ENOMEM. */
sl_span_t *sl_mheap_alloc_span(sl_pagecache_t *pc, size_t npages, unsigned spc, size_t align_pages);

/* Give a span's pages and descriptor back (the caller owns it; no live objects). */
void sl_mheap_free_span(sl_span_t *s);

/* Return a thread's page cache and descriptor stash to the heap. */
void sl_mheap_flush_pagecache(sl_pagecache_t *pc);

/* Release free pages whose block was last freed into at or before cutoff_ms (the
 * mheap's clock; UINT64_MAX: every free page), oldest first, in contiguous runs, until
 * max_bytes are released. Serialised with other calls. Returns the bytes released. */
size_t sl_mheap_scavenge(uint64_t cutoff_ms, size_t max_bytes);

/* Whether pages the scavenger released were handed out again at most window_ms (the
 * window of the previous call) after the last free into their block, since the previous
 * call; *idle_ms: the longest such time (sl_pagealloc_take_reuse_locked). */
bool sl_mheap_take_reuse(uint64_t window_ms, uint64_t *idle_ms);

/* The clock of the page allocator's free times, in milliseconds. */
uint64_t sl_mheap_clock_ms(void);

void sl_mheap_stats(struct sl_stats *out);

/* For os.c when the OS refuses a metadata mapping: at least `need` (if possible `want`)
 * bytes of free heap pages, zeroed, kept as metadata for good; *got says how many. NULL
 * with errno = ENOMEM when the heap has no such run. Takes the heap lock unless this thread
 * holds it (mheap's own metadata allocations). */
void *sl_mheap_meta_fallback(size_t need, size_t want, size_t *got);

/* Tests: the page allocator is consistent and its in-use pages are exactly the pages of
 * live spans plus those held by page caches. NULL when sound, else what is wrong. Call it
 * quiescent (no allocation in flight). */
const char *sl_mheap_verify(void);

/* Bytes of pages owned by large objects, without the heap lock (relaxed). */
size_t sl_mheap_large_bytes(void);

/* fork(): the scavenge lock, then the heap lock. */
void sl_mheap_atfork_prepare(void);
void sl_mheap_atfork_parent(void);
void sl_mheap_atfork_child(void);

#endif
