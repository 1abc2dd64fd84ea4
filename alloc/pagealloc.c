/* Bitmap page allocator (Go 1.14's design without the radix summaries): a region is a
 * contiguous run of arenas with an in-use bitmap and a scavenged bitmap, searched first-fit
 * in address order from a hint below which no page is free; a run that bypasses the page
 * caches goes to free pages still backed first (best fit). Each 64-page block also keeps
 * the time of the last free into it, on a list in that order, so the scavenger finds the
 * longest-idle free pages first, and the time a released page's block had been idle when
 * it is handed out again (the decay policy is in scavenger.c). Neighbour: mheap.c,
 * which holds the lock and maps pages to spans. */
#include <time.h>

#include "os.h"
#include "pagealloc.h"

static inline bool bit_get(const uint64_t *b, size_t i) {
    return (b[i / 64] >> (i % 64)) & 1;
}

/* Index of the first page in [i, end) that is set (val) or clear (!val) in b or, when
 * `also` is not NULL, in either b or also; end when there is none. */
static size_t next_bit_either(const uint64_t *b, const uint64_t *also, size_t i, size_t end,
                              bool val) {
    while (i < end) {
        uint64_t w = also ? b[i / 64] | also[i / 64] : b[i / 64];
        if (!val)
            w = ~w;
        w &= ~(uint64_t)0 << (i % 64);
        if (w) {
            size_t r = (i & ~(size_t)63) + (size_t)__builtin_ctzll(w);
            return r < end ? r : end;
        }
        i = (i & ~(size_t)63) + 64;
    }
    return end;
}

/* Index of the first bit equal to `val` in [i, end), or end. */
static inline size_t next_bit(const uint64_t *b, size_t i, size_t end, bool val) {
    return next_bit_either(b, NULL, i, end, val);
}

/* Set (val = 1) or clear [i, i + n) in b; returns how many bits of `count` were set there. */
static size_t set_range(uint64_t *b, size_t i, size_t n, bool val, const uint64_t *count) {
    size_t counted = 0;
    while (n > 0) {
        size_t off = i % 64, len = 64 - off < n ? 64 - off : n;
        uint64_t mask = (len == 64 ? ~(uint64_t)0 : (((uint64_t)1 << len) - 1)) << off;
        if (count)
            counted += (size_t)__builtin_popcountll(count[i / 64] & mask);
        if (val)
            b[i / 64] |= mask;
        else
            b[i / 64] &= ~mask;
        i += len;
        n -= len;
    }
    return counted;
}

uint64_t sl_pagealloc_now_ms(const sl_pagealloc_t *pa) {
    if (pa->clock_ms)
        return pa->clock_ms();
    /* The coarse clock (a few ms of resolution) costs no system call: it is read under the
     * heap lock on every free. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void decay_unlink(sl_pagealloc_t *pa, sl_pageblock_t *b) {
    if (!b->listed)
        return;
    if (b->older)
        b->older->newer = b->newer;
    else
        pa->oldest = b->newer;
    if (b->newer)
        b->newer->older = b->older;
    else
        pa->newest = b->older;
    b->older = b->newer = NULL;
    b->listed = false;
}

/* Pages [i, i + n) of r became dirty and free at `now`: their blocks move to the newest
 * end of the decay list. */
static void decay_touch(sl_pagealloc_t *pa, sl_region_t *r, size_t i, size_t n, uint64_t now) {
    for (size_t w = i / SL_BLOCK_PAGES; w <= (i + n - 1) / SL_BLOCK_PAGES; w++) {
        sl_pageblock_t *b = &r->blocks[w];
        decay_unlink(pa, b);
        b->freed_ms = now;
        b->older = pa->newest;
        if (pa->newest)
            pa->newest->newer = b;
        else
            pa->oldest = b;
        pa->newest = b;
        b->listed = true;
    }
}

/* Free and not scavenged: memory the scavenger may release. */
static inline bool page_dirty_free(const sl_region_t *r, size_t i) {
    return !bit_get(r->inuse, i) && !bit_get(r->scav, i);
}

static inline uint64_t block_dirty_free(const sl_region_t *r, size_t w) {
    return ~r->inuse[w] & ~r->scav[w];
}

static sl_region_t *region_of(sl_pagealloc_t *pa, uintptr_t addr) {
    for (sl_region_t *r = pa->regions; r; r = r->next)
        if (addr >= r->base && addr < r->base + (r->npages << SL_PAGE_SHIFT))
            return r;
    return NULL;
}

int sl_pagealloc_grow_locked(sl_pagealloc_t *pa, uintptr_t base, size_t npages) {
    size_t words = npages / 64;
    /* One allocation: a failure leaves nothing behind. */
    sl_region_t *r =
        sl_os_meta_alloc(sizeof *r + 3 * words * sizeof(uint64_t) + words * sizeof(sl_pageblock_t));
    if (!r)
        return -1;
    uint64_t *bits = (uint64_t *)(r + 1);
    sl_pageblock_t *blocks = (sl_pageblock_t *)(bits + 3 * words);
    r->base = base;
    r->npages = npages;
    r->inuse = bits;
    r->scav = bits + words;
    r->rel = bits + 2 * words; /* zeroed metadata: nothing released yet */
    r->blocks = blocks;
    for (size_t w = 0; w < words; w++)
        blocks[w].region = r;
    for (size_t w = 0; w < words; w++)
        r->scav[w] = ~(uint64_t)0; /* fresh mappings read as zero and use no memory */
    r->free_pages = r->scav_pages = npages;
    sl_region_t **pp = &pa->regions;
    while (*pp && (*pp)->base < base)
        pp = &(*pp)->next;
    r->next = *pp;
    *pp = r;
    pa->mapped_bytes += npages << SL_PAGE_SHIFT;
    return 0;
}

/* Pages [i, i + n) of r are handed out again: for each block among them holding pages
 * the scavenger released, how long it had been idle (since the last free into it); the
 * longest such time within the reuse window is kept until the scavenger reads it
 * (sl_pagealloc_take_reuse_locked). */
static void note_reuse(sl_pagealloc_t *pa, const sl_region_t *r, size_t i, size_t n) {
    uint64_t now = 0;
    for (size_t w = i / 64; w <= (i + n - 1) / 64; w++) {
        size_t lo = w * 64 > i ? w * 64 : i, hi = w * 64 + 64 < i + n ? w * 64 + 64 : i + n;
        uint64_t mask = (hi - lo == 64 ? ~(uint64_t)0 : (((uint64_t)1 << (hi - lo)) - 1))
                        << (lo % 64);
        if (!(r->rel[w] & mask))
            continue;
        if (!now)
            now = sl_pagealloc_now_ms(pa);
        uint64_t freed = r->blocks[w].freed_ms, idle = now > freed ? now - freed : 0;
        if (idle <= pa->reuse_window_ms && (!pa->reuse_seen || idle > pa->reuse_idle_ms)) {
            pa->reuse_idle_ms = idle;
            pa->reuse_seen = true;
        }
    }
}

bool sl_pagealloc_take_reuse_locked(sl_pagealloc_t *pa, uint64_t window_ms, uint64_t *idle_ms) {
    bool seen = pa->reuse_seen;
    *idle_ms = pa->reuse_idle_ms;
    pa->reuse_seen = false;
    pa->reuse_idle_ms = 0;
    pa->reuse_window_ms = window_ms;
    return seen;
}

void sl_pagealloc_take_front_locked(sl_pagealloc_t *pa, uintptr_t base, size_t npages) {
    sl_region_t *r = region_of(pa, base);
    set_range(r->inuse, 0, npages, true, NULL);
    r->scav_pages -= set_range(r->scav, 0, npages, false, r->scav);
    r->free_pages -= npages;
    r->hint = npages;
}

/* The first page at or after i whose address is aligned to align_pages (a region need
 * not be aligned beyond a block). */
static inline size_t align_page(const sl_region_t *r, size_t i, size_t align_pages) {
    size_t mask = align_pages - 1, off = (r->base >> SL_PAGE_SHIFT) & mask;
    return ((i + off + mask) & ~mask) - off;
}

/* First fit: the lowest run of npages free pages of r, aligned; r->npages when none. */
static size_t first_fit(const sl_region_t *r, size_t npages, size_t align_pages) {
    size_t i = r->hint;
    while (i + npages <= r->npages) {
        i = align_page(r, next_bit(r->inuse, i, r->npages, false), align_pages);
        if (i + npages > r->npages)
            break;
        size_t j = next_bit(r->inuse, i, i + npages, true);
        if (j == i + npages)
            return i;
        i = j + 1;
    }
    return r->npages;
}

/* Best fit among dirty pages: the shortest stretch of free, still backed pages (lowest
 * address among equals) that holds npages aligned pages, placed at its first aligned
 * page. Returns its region, or NULL; *at: the page index. Cost: regions with fewer dirty
 * free pages than asked for are skipped by their counts; the others cost one pass over
 * their bitmap words from the hint (128 words per 64 MiB) plus one step per dirty
 * stretch; an exact fit ends the search. */
static sl_region_t *best_dirty_fit(sl_pagealloc_t *pa, size_t npages, size_t align_pages,
                                   size_t *at) {
    sl_region_t *best = NULL;
    size_t best_len = SIZE_MAX;
    for (sl_region_t *r = pa->regions; r && best_len > npages; r = r->next) {
        if (r->free_pages - r->scav_pages < npages)
            continue;
        size_t i = r->hint;
        while (i < r->npages && best_len > npages) {
            /* A page is taken for this search when it is in use or scavenged. */
            i = next_bit_either(r->inuse, r->scav, i, r->npages, false);
            if (i == r->npages)
                break;
            size_t end = next_bit_either(r->inuse, r->scav, i, r->npages, true);
            size_t a = align_page(r, i, align_pages);
            if (a + npages <= end && end - i < best_len) {
                best = r;
                best_len = end - i;
                *at = a;
            }
            i = end;
        }
    }
    return best;
}

/* Hand out pages [i, i + npages) of r (all free). */
static uintptr_t take_run(sl_pagealloc_t *pa, sl_region_t *r, size_t i, size_t npages,
                          bool *needzero, size_t *reused) {
    set_range(r->inuse, i, npages, true, NULL);
    size_t scav = set_range(r->scav, i, npages, false, r->scav);
    note_reuse(pa, r, i, npages);
    *reused = set_range(r->rel, i, npages, false, r->rel);
    r->free_pages -= npages;
    r->scav_pages -= scav;
    *needzero = scav < npages;
    r->hint = next_bit(r->inuse, r->hint, r->npages, false);
    return r->base + (i << SL_PAGE_SHIFT);
}

uintptr_t sl_pagealloc_alloc_locked(sl_pagealloc_t *pa, size_t npages, size_t align_pages,
                                    bool *needzero, size_t *reused) {
    /* Dirty first, as jemalloc serves from dirty extents before muzzy or retained ones:
     * free pages still backed cost no fault and no new resident memory, where first fit
     * may put the object on released or fresh pages (RSS grows by its size) and leave a
     * dirty hole that fits it behind. Best fit among them, as jemalloc 5 takes its dirty
     * extents: the lowest dirty hole that fits gave a big buffer the hole the next one
     * needed and grew the heap (malloc-large: peak RSS 1.05x, faults 1.05x of first fit;
     * best fit: 1.00x and 0.94x; results/20261201-dirty-first). Only for runs of
     * SL_DIRTY_FIRST_PAGES or more, which bypass the page caches: a shorter span comes
     * from a thread's 64-page block and reaches this function only when that block is
     * too fragmented for it; it keeps first fit, next to the other small spans at the
     * bottom of the heap (thresholds of 1 and 64 pages measured no different). */
    size_t i = 0;
    sl_region_t *r =
        npages >= SL_DIRTY_FIRST_PAGES ? best_dirty_fit(pa, npages, align_pages, &i) : NULL;
    if (r)
        return take_run(pa, r, i, npages, needzero, reused);
    /* Then plain first fit over all free pages, released, fresh or dirty. */
    for (r = pa->regions; r; r = r->next) {
        if (r->free_pages < npages)
            continue;
        i = first_fit(r, npages, align_pages);
        if (i < r->npages)
            return take_run(pa, r, i, npages, needzero, reused);
    }
    return 0;
}

void sl_pagealloc_free_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages) {
    sl_region_t *r = region_of(pa, addr);
    size_t i = (addr - r->base) >> SL_PAGE_SHIFT;
    set_range(r->inuse, i, npages, false, NULL);
    r->free_pages += npages;
    if (i < r->hint)
        r->hint = i;
    decay_touch(pa, r, i, npages, sl_pagealloc_now_ms(pa));
}

uintptr_t sl_pagealloc_take_block_locked(sl_pagealloc_t *pa, uint64_t *free_mask,
                                         uint64_t *scav_mask, uint64_t *rel_mask) {
    for (sl_region_t *r = pa->regions; r; r = r->next) {
        if (r->free_pages == 0)
            continue;
        size_t i = next_bit(r->inuse, r->hint, r->npages, false);
        if (i == r->npages)
            continue;
        size_t w = i / 64;
        uint64_t fm = ~r->inuse[w], sm = r->scav[w] & fm;
        *rel_mask = r->rel[w] & fm;
        if (*rel_mask)
            note_reuse(pa, r, w * 64, 64);
        r->inuse[w] = ~(uint64_t)0;
        r->scav[w] &= ~fm;
        r->rel[w] &= ~fm;
        r->free_pages -= (size_t)__builtin_popcountll(fm);
        r->scav_pages -= (size_t)__builtin_popcountll(sm);
        r->hint = next_bit(r->inuse, r->hint, r->npages, false);
        *free_mask = fm;
        *scav_mask = sm;
        return r->base + ((w * 64) << SL_PAGE_SHIFT);
    }
    return 0;
}

void sl_pagealloc_return_block_locked(sl_pagealloc_t *pa, uintptr_t base, uint64_t free_mask,
                                      uint64_t scav_mask, uint64_t rel_mask) {
    sl_region_t *r = region_of(pa, base);
    size_t w = ((base - r->base) >> SL_PAGE_SHIFT) / 64;
    r->inuse[w] &= ~free_mask;
    r->scav[w] |= scav_mask;
    r->rel[w] |= rel_mask;
    r->free_pages += (size_t)__builtin_popcountll(free_mask);
    r->scav_pages += (size_t)__builtin_popcountll(scav_mask);
    if (w * 64 < r->hint)
        r->hint = next_bit(r->inuse, w * 64, r->npages, false);
    /* Dirty pages that sat in a page cache count as freed now. */
    if (free_mask & ~scav_mask)
        decay_touch(pa, r, w * 64, 1, sl_pagealloc_now_ms(pa));
}

/* A dirty free page of r whose block has been idle since cutoff or longer. */
static inline bool page_aged(const sl_region_t *r, size_t i, uint64_t cutoff) {
    const sl_pageblock_t *b = &r->blocks[i / SL_BLOCK_PAGES];
    return page_dirty_free(r, i) && b->listed && b->freed_ms <= cutoff;
}

size_t sl_pagealloc_scav_take_locked(sl_pagealloc_t *pa, uint64_t cutoff_ms, size_t max_pages,
                                     uintptr_t *addr) {
    sl_pageblock_t *b;
    while (max_pages > 0 && (b = pa->oldest) != NULL && b->freed_ms <= cutoff_ms) {
        sl_region_t *r = b->region;
        size_t w = (size_t)(b - r->blocks);
        uint64_t dirty = block_dirty_free(r, w);
        if (!dirty) { /* reused or released since it was listed */
            decay_unlink(pa, b);
            continue;
        }
        /* The block's first dirty run, grown across neighbours as old as the cutoff: one
         * madvise for a whole idle stretch, which costs far less per byte than many small
         * ones (measured in scavenger.c's header). */
        size_t lo = w * SL_BLOCK_PAGES + (size_t)__builtin_ctzll(dirty), hi = lo + 1;
        while (hi - lo < max_pages && hi < r->npages && page_aged(r, hi, cutoff_ms))
            hi++;
        while (hi - lo < max_pages && lo > 0 && page_aged(r, lo - 1, cutoff_ms))
            lo--;
        size_t n = hi - lo;
        set_range(r->inuse, lo, n, true, NULL);
        r->free_pages -= n;
        for (size_t v = lo / SL_BLOCK_PAGES; v <= (hi - 1) / SL_BLOCK_PAGES; v++)
            if (!block_dirty_free(r, v))
                decay_unlink(pa, &r->blocks[v]);
        *addr = r->base + (lo << SL_PAGE_SHIFT);
        return n;
    }
    return 0;
}

void sl_pagealloc_scav_done_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages) {
    sl_region_t *r = region_of(pa, addr);
    size_t i = (addr - r->base) >> SL_PAGE_SHIFT;
    set_range(r->inuse, i, npages, false, NULL);
    set_range(r->scav, i, npages, true, NULL);
    set_range(r->rel, i, npages, true, NULL);
    r->free_pages += npages;
    r->scav_pages += npages;
    if (i < r->hint)
        r->hint = i;
}

size_t sl_pagealloc_free_pages_locked(const sl_pagealloc_t *pa, size_t *scavenged) {
    size_t f = 0, s = 0;
    for (const sl_region_t *r = pa->regions; r; r = r->next) {
        f += r->free_pages;
        s += r->scav_pages;
    }
    *scavenged = s;
    return f;
}

const char *sl_pagealloc_verify_locked(const sl_pagealloc_t *pa, size_t *used_pages) {
    size_t used = 0, mapped = 0;
    for (const sl_region_t *r = pa->regions; r; r = r->next) {
        if (r->next && r->base + (r->npages << SL_PAGE_SHIFT) > r->next->base)
            return "regions overlap or are out of address order";
        size_t inuse = 0, scav = 0;
        for (size_t w = 0; w < r->npages / 64; w++) {
            if (r->inuse[w] & r->scav[w])
                return "a page is both in use and scavenged";
            inuse += (size_t)__builtin_popcountll(r->inuse[w]);
            scav += (size_t)__builtin_popcountll(r->scav[w]);
        }
        if (r->npages - inuse != r->free_pages)
            return "a region's free-page count disagrees with its bitmap";
        if (scav != r->scav_pages)
            return "a region's scavenged-page count disagrees with its bitmap";
        if (next_bit(r->inuse, 0, r->npages, false) < r->hint)
            return "a free page lies below a region's search hint";
        used += inuse;
        mapped += r->npages << SL_PAGE_SHIFT;
    }
    if (mapped != pa->mapped_bytes)
        return "the regions do not add up to the mapped bytes";
    *used_pages = used;
    return NULL;
}

uintptr_t sl_pagealloc_alloc_high_locked(sl_pagealloc_t *pa, size_t npages, bool *needzero) {
    uintptr_t below = UINTPTR_MAX;
    for (;;) {
        sl_region_t *r = NULL;
        for (sl_region_t *q = pa->regions; q && q->base < below; q = q->next)
            r = q;
        if (!r)
            return 0;
        below = r->base;
        if (r->free_pages < npages)
            continue;
        size_t run = 0; /* free pages counted downwards from the page above i */
        for (size_t i = r->npages; i-- > 0;) {
            if (i % 64 == 63 && r->inuse[i / 64] == ~(uint64_t)0) {
                run = 0;
                i -= 63; /* a whole word in use */
                continue;
            }
            if (bit_get(r->inuse, i)) {
                run = 0;
                continue;
            }
            if (++run < npages)
                continue;
            set_range(r->inuse, i, npages, true, NULL);
            size_t scav = set_range(r->scav, i, npages, false, r->scav);
            set_range(r->rel, i, npages, false, NULL);
            r->free_pages -= npages;
            r->scav_pages -= scav;
            *needzero = scav < npages;
            return r->base + (i << SL_PAGE_SHIFT);
        }
    }
}
