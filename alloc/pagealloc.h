/* The page allocator: one bit per 8 KiB page over contiguous regions of whole 64 MiB
 * arenas, address-ordered first fit with a search hint (runs of SL_DIRTY_FIRST_PAGES or
 * more: best fit among still-backed free pages first), per-page scavenged bits, and per
 * 64-page block the time of the last free into it, kept in least-recently-freed order for
 * the scavenger. All functions here run with the mheap lock held (suffix _locked). */
#ifndef SL_PAGEALLOC_H
#define SL_PAGEALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sizeclass.h"

#define SL_ARENA_SHIFT 26 /* 64 MiB */
#define SL_ARENA_SIZE  ((size_t)1 << SL_ARENA_SHIFT)
#define SL_ARENA_PAGES (SL_ARENA_SIZE >> SL_PAGE_SHIFT)

#define SL_BLOCK_PAGES 64 /* one bitmap word; the page cache's unit; the decay clock's grain */
/* Runs this long or longer go to free pages still backed first (best fit among them):
 * those that bypass the page caches (SL_PAGECACHE_MAX, mheap.h) */
#define SL_DIRTY_FIRST_PAGES 16

typedef struct sl_region sl_region_t;

/* A 64-page aligned block's free clock. INVARIANT: a block holding a free page that is
 * not scavenged (a dirty free page) is on the page allocator's decay list; the list runs
 * from the least recently freed-into block to the most recently. A block may stay listed
 * after its dirty pages were reused or released (the scavenger drops it when it gets
 * there). All fields under the mheap lock. */
typedef struct sl_pageblock sl_pageblock_t;
struct sl_pageblock {
    sl_pageblock_t *older, *newer; /* decay list neighbours */
    sl_region_t *region;
    uint64_t freed_ms; /* when a page was last freed into it (the page allocator's clock) */
    bool listed;
};

struct sl_region {
    uintptr_t base;
    size_t npages;
    size_t hint;            /* no free page below this index */
    size_t free_pages;      /* free pages, scavenged or not */
    size_t scav_pages;      /* free pages whose memory was returned to the OS */
    uint64_t *inuse;        /* 1 = page owned by a span or a page cache */
    uint64_t *scav;         /* 1 = free page returned to the OS (reads as zero) */
    uint64_t *rel;          /* 1 = scavenged by the scavenger, not fresh (subset of scav) */
    sl_pageblock_t *blocks; /* npages / SL_BLOCK_PAGES */
    sl_region_t *next;      /* address order */
};

typedef struct sl_pagealloc {
    sl_region_t *regions;
    size_t mapped_bytes;
    sl_pageblock_t *oldest, *newest; /* the decay list */
    uint64_t (*clock_ms)(void);      /* NULL: CLOCK_MONOTONIC_COARSE; tests set their own */
    /* Released pages handed out again within reuse_window_ms of their block's last free:
     * the longest such idle time since the scavenger last asked (reuse_seen: any). */
    uint64_t reuse_window_ms;
    uint64_t reuse_idle_ms;
    bool reuse_seen;
} sl_pagealloc_t;

/* npages aligned to align_pages: from SL_DIRTY_FIRST_PAGES on, the shortest stretch of
 * free pages still backed (not scavenged) that holds them; else, and for shorter runs,
 * first fit over all free pages. Returns the address or 0; *needzero says
 * whether any page of the run was used before (not known to be zero); *reused counts
 * its pages that the scavenger had released (they fault in again when touched); handing
 * those out notes how long their blocks had been idle (sl_pagealloc_take_reuse_locked). */
uintptr_t sl_pagealloc_alloc_locked(sl_pagealloc_t *pa, size_t npages, size_t align_pages,
                                    bool *needzero, size_t *reused);

/* The highest run of npages free pages (for memory kept for good, so that it gathers at
 * the top instead of splitting the free space spans use). Returns the address or 0. */
uintptr_t sl_pagealloc_alloc_high_locked(sl_pagealloc_t *pa, size_t npages, bool *needzero);

/* Free npages at addr (dirty: they may hold old data); restarts its blocks' free clock. */
void sl_pagealloc_free_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages);

/* Add a fresh region of npages at base (all free, all scavenged). */
int sl_pagealloc_grow_locked(sl_pagealloc_t *pa, uintptr_t base, size_t npages);

/* The first npages of the region just grown at base, taken for good (metadata: the arena
 * header, mheap.h). They were fresh: zero. */
void sl_pagealloc_take_front_locked(sl_pagealloc_t *pa, uintptr_t base, size_t npages);

/* Page cache refill: the 64-page aligned block holding the first free page; marks its
 * free pages in use and returns them as a mask (1 = free for the cache), with their
 * scavenged bits and, among those, the bits of pages the scavenger released (rel_mask).
 * Returns the block base or 0. */
uintptr_t sl_pagealloc_take_block_locked(sl_pagealloc_t *pa, uint64_t *free_mask,
                                         uint64_t *scav_mask, uint64_t *rel_mask);

/* Return a page cache's pages (masks relative to the 64-page block at base). A returned
 * dirty page restarts the block's free clock. */
void sl_pagealloc_return_block_locked(sl_pagealloc_t *pa, uintptr_t base, uint64_t free_mask,
                                      uint64_t scav_mask, uint64_t rel_mask);

/* Scavenge, oldest first: the least recently freed-into block whose last free is at or
 * before cutoff_ms gives its first run of dirty free pages, extended across neighbouring
 * blocks that are as old, up to max_pages. The run is marked in use (so nobody takes it
 * while it is released without the lock). Returns the run length (0: nothing is that
 * old). cutoff_ms = UINT64_MAX takes any dirty page. */
size_t sl_pagealloc_scav_take_locked(sl_pagealloc_t *pa, uint64_t cutoff_ms, size_t max_pages,
                                     uintptr_t *addr);

/* After a released run: free again, now scavenged. */
void sl_pagealloc_scav_done_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages);

/* Whether released pages were handed out again, at most window_ms (the value set by the
 * previous call; 0 at first) after the last free into their block, since the previous
 * call; *idle_ms: the longest such time. Sets the window for the next call. */
bool sl_pagealloc_take_reuse_locked(sl_pagealloc_t *pa, uint64_t window_ms, uint64_t *idle_ms);

size_t sl_pagealloc_free_pages_locked(const sl_pagealloc_t *pa, size_t *scavenged);

/* The page allocator's clock, in milliseconds. */
uint64_t sl_pagealloc_now_ms(const sl_pagealloc_t *pa);

/* Consistency of every region (counts against bitmaps, hint, order); NULL when sound,
 * else what is wrong. *used_pages: pages marked in use (spans and page caches). */
const char *sl_pagealloc_verify_locked(const sl_pagealloc_t *pa, size_t *used_pages);

#endif
