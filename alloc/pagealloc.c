/* Bitmap page allocator (Go 1.14's design without the radix summaries): a region is a
 * contiguous run of arenas with an in-use bitmap and a scavenged bitmap, searched first-fit
 * in address order from a hint below which no page is free. Neighbour: mheap.c, which
 * holds the lock and maps pages to spans. */
#include "os.h"
#include "pagealloc.h"

static inline bool bit_get(const uint64_t *b, size_t i) {
    return (b[i / 64] >> (i % 64)) & 1;
}

/* Index of the first bit equal to `val` in [i, end), or end. */
static size_t next_bit(const uint64_t *b, size_t i, size_t end, bool val) {
    while (i < end) {
        uint64_t w = val ? b[i / 64] : ~b[i / 64];
        w &= ~(uint64_t)0 << (i % 64);
        if (w) {
            size_t r = (i & ~(size_t)63) + (size_t)__builtin_ctzll(w);
            return r < end ? r : end;
        }
        i = (i & ~(size_t)63) + 64;
    }
    return end;
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

static sl_region_t *region_of(sl_pagealloc_t *pa, uintptr_t addr) {
    for (sl_region_t *r = pa->regions; r; r = r->next)
        if (addr >= r->base && addr < r->base + (r->npages << 13))
            return r;
    return NULL;
}

int sl_pagealloc_grow_locked(sl_pagealloc_t *pa, uintptr_t base, size_t npages) {
    size_t words = npages / 64;
    sl_region_t *r = sl_os_meta_alloc(sizeof *r);
    uint64_t *bits = sl_os_meta_alloc(2 * words * sizeof(uint64_t));
    if (!r || !bits)
        return -1;
    r->base = base;
    r->npages = npages;
    r->inuse = bits;
    r->scav = bits + words;
    for (size_t w = 0; w < words; w++)
        r->scav[w] = ~(uint64_t)0; /* fresh mappings read as zero and use no memory */
    r->free_pages = r->scav_pages = npages;
    sl_region_t **pp = &pa->regions;
    while (*pp && (*pp)->base < base)
        pp = &(*pp)->next;
    r->next = *pp;
    *pp = r;
    pa->mapped_bytes += npages << 13;
    return 0;
}

uintptr_t sl_pagealloc_alloc_locked(sl_pagealloc_t *pa, size_t npages, size_t align_pages,
                                    bool *needzero) {
    for (sl_region_t *r = pa->regions; r; r = r->next) {
        if (r->free_pages < npages)
            continue;
        size_t align_mask = align_pages - 1;
        /* Alignment is of the address: regions are arena-aligned, so of the index too. */
        size_t i = r->hint;
        while (i + npages <= r->npages) {
            i = next_bit(r->inuse, i, r->npages, false);
            i = (i + align_mask) & ~align_mask;
            if (i + npages > r->npages)
                break;
            size_t j = next_bit(r->inuse, i, i + npages, true);
            if (j == i + npages) {
                set_range(r->inuse, i, npages, true, NULL);
                size_t scav = set_range(r->scav, i, npages, false, r->scav);
                r->free_pages -= npages;
                r->scav_pages -= scav;
                *needzero = scav < npages;
                r->hint = next_bit(r->inuse, r->hint, r->npages, false);
                return r->base + (i << 13);
            }
            i = j + 1;
        }
    }
    return 0;
}

void sl_pagealloc_free_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages) {
    sl_region_t *r = region_of(pa, addr);
    size_t i = (addr - r->base) >> 13;
    set_range(r->inuse, i, npages, false, NULL);
    r->free_pages += npages;
    if (i < r->hint)
        r->hint = i;
}

uintptr_t sl_pagealloc_take_block_locked(sl_pagealloc_t *pa, uint64_t *free_mask,
                                         uint64_t *scav_mask) {
    for (sl_region_t *r = pa->regions; r; r = r->next) {
        if (r->free_pages == 0)
            continue;
        size_t i = next_bit(r->inuse, r->hint, r->npages, false);
        if (i == r->npages)
            continue;
        size_t w = i / 64;
        uint64_t fm = ~r->inuse[w], sm = r->scav[w] & fm;
        r->inuse[w] = ~(uint64_t)0;
        r->scav[w] &= ~fm;
        r->free_pages -= (size_t)__builtin_popcountll(fm);
        r->scav_pages -= (size_t)__builtin_popcountll(sm);
        r->hint = next_bit(r->inuse, r->hint, r->npages, false);
        *free_mask = fm;
        *scav_mask = sm;
        return r->base + ((w * 64) << 13);
    }
    return 0;
}

void sl_pagealloc_return_block_locked(sl_pagealloc_t *pa, uintptr_t base, uint64_t free_mask,
                                      uint64_t scav_mask) {
    sl_region_t *r = region_of(pa, base);
    size_t w = ((base - r->base) >> 13) / 64;
    r->inuse[w] &= ~free_mask;
    r->scav[w] |= scav_mask;
    r->free_pages += (size_t)__builtin_popcountll(free_mask);
    r->scav_pages += (size_t)__builtin_popcountll(scav_mask);
    if (w * 64 < r->hint)
        r->hint = next_bit(r->inuse, w * 64, r->npages, false);
}

size_t sl_pagealloc_scav_take_locked(sl_pagealloc_t *pa, size_t max_pages, uintptr_t *addr) {
    /* Highest address first: the heap grows upwards and allocates low first. The list is
     * in address order, so walk it for the highest region below the last one seen. */
    uintptr_t below = UINTPTR_MAX;
    for (;;) {
        sl_region_t *r = NULL;
        for (sl_region_t *q = pa->regions; q && q->base < below; q = q->next)
            r = q;
        if (!r)
            return 0;
        below = r->base;
        if (r->free_pages == r->scav_pages)
            continue;
        for (size_t w = r->npages / 64; w-- > 0;) {
            uint64_t cand = ~r->inuse[w] & ~r->scav[w];
            if (!cand)
                continue;
            size_t top = w * 64 + 63 - (size_t)__builtin_clzll(cand);
            size_t lo = top;
            while (lo > 0 && top - lo + 1 < max_pages && !bit_get(r->inuse, lo - 1) &&
                   !bit_get(r->scav, lo - 1))
                lo--;
            size_t n = top - lo + 1;
            set_range(r->inuse, lo, n, true, NULL);
            r->free_pages -= n;
            *addr = r->base + (lo << 13);
            return n;
        }
    }
}

void sl_pagealloc_scav_done_locked(sl_pagealloc_t *pa, uintptr_t addr, size_t npages) {
    sl_region_t *r = region_of(pa, addr);
    size_t i = (addr - r->base) >> 13;
    set_range(r->inuse, i, npages, false, NULL);
    set_range(r->scav, i, npages, true, NULL);
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
