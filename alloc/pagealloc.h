/* The page allocator: one bit per 8 KiB page over contiguous regions of whole 64 MiB
 * arenas, address-ordered first fit with a search hint, and per-page scavenged bits.
 * All functions here run with the mheap lock held (suffix _locked). */
#ifndef SL_PAGEALLOC_H
#define SL_PAGEALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_ARENA_SHIFT 26 /* 64 MiB */
#define SL_ARENA_SIZE  ((size_t)1 << SL_ARENA_SHIFT)
#define SL_ARENA_PAGES (SL_ARENA_SIZE >> 13)

typedef struct sl_region sl_region_t;
struct sl_region {
    uintptr_t base;
    size_t npages;
    size_t hint;       /* no free page below this index */
    size_t free_pages; /* free pages, scavenged or not */
    size_t scav_pages; /* free pages whose memory was returned to the OS */
    uint64_t *inuse;   /* 1 = page owned by a span or a page cache */
    uint64_t *scav;    /* 1 = free page returned to the OS (reads as zero) */
    sl_region_t *next; /* address order */
};

typedef struct sl_pagealloc {
    sl_region_t *regions;
    size_t mapped_bytes;
} sl_pagealloc_t;

/* First fit of npages aligned to align_pages. Returns the address or 0; *needzero says
 * whether any page of the run was used before (not known to be zero). */
uintptr_t sl_pagealloc_alloc_locked(sl_pagealloc_t *pa, size_t npages, size_t align_pages,
                                    bool *needzero);

/* Free npages at addr (dirty: they may hold old data). */
void sl_pagealloc_free_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages);

/* Add a fresh region of npages at base (all free, all scavenged). */
int sl_pagealloc_grow_locked(sl_pagealloc_t *pa, uintptr_t base, size_t npages);

/* Page cache refill: the 64-page aligned block holding the first free page; marks its
 * free pages in use and returns them as a mask (1 = free for the cache), with their
 * scavenged bits. Returns the block base or 0. */
uintptr_t sl_pagealloc_take_block_locked(sl_pagealloc_t *pa, uint64_t *free_mask,
                                         uint64_t *scav_mask);

/* Return a page cache's pages (mask relative to the 64-page block at base). */
void sl_pagealloc_return_block_locked(sl_pagealloc_t *pa, uintptr_t base, uint64_t free_mask,
                                      uint64_t scav_mask);

/* Scavenge: find up to max_pages free, unscavenged pages from the top of the heap down,
 * mark them in use (so nobody takes them while they are released without the lock) and
 * report the run. Returns the run length (0: nothing left). */
size_t sl_pagealloc_scav_take_locked(sl_pagealloc_t *pa, size_t max_pages, uintptr_t *addr);

/* After a released run: free again, now scavenged. */
void sl_pagealloc_scav_done_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages);

size_t sl_pagealloc_free_pages_locked(const sl_pagealloc_t *pa, size_t *scavenged);

#endif
