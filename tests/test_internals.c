/* Unit tests of the internals: the span bitmap scan and sweep, the page allocator, the
 * page -> span map. Includes internal headers (jemalloc style: unit tests may). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "central.h"
#include "check.h"
#include "env.h"
#include "mcache.h"
#include "mheap.h"
#include "pagealloc.h"
#include "policy.h"
#include "scavenger.h"
#include "span.h"
#include "spanlab.h"
#include "sweep.h"

static void test_span_bitmap(void) {
    static sl_span_t s;
    static char mem[8192 * 2];
    unsigned sc = 35; /* 1408 B, 2 pages, 11 objects */
    s.base = (uintptr_t)mem;
    s.elemsize = sl_class_to_size[sc];
    s.nelems = sl_class_to_nelems[sc];
    s.alloc_cache = ~(uint64_t)0;
    /* Allocate every slot in order, then no more. */
    for (unsigned i = 0; i < s.nelems; i++)
        CHECK(sl_span_next_free_index(&s) == i);
    CHECK(sl_span_next_free_index(&s) == s.nelems);
    /* Owner frees 2 and 7, a remote thread frees 4: the sweep reclaims exactly those. */
    s.local_free[0] = (1u << 2) | (1u << 7);
    atomic_store(&s.xfree_bits[0], 1u << 4);
    CHECK(sl_span_sweep(&s) == 3);
    CHECK(s.alloc_count == s.nelems - 3);
    CHECK(s.needzero);
    CHECK(sl_span_next_free_index(&s) == 2);
    CHECK(sl_span_next_free_index(&s) == 4);
    CHECK(sl_span_next_free_index(&s) == 7);
    CHECK(sl_span_next_free_index(&s) == s.nelems);

    /* A 1024-object span: windows of 64 are crossed correctly. */
    static sl_span_t t;
    static char mem8[8192];
    t.base = (uintptr_t)mem8;
    t.elemsize = 8;
    t.nelems = 1024;
    t.alloc_cache = ~(uint64_t)0;
    unsigned ok = 1;
    for (unsigned i = 0; i < 1024; i++)
        ok &= sl_span_next_free_index(&t) == i;
    CHECK(ok);
    CHECK(sl_span_next_free_index(&t) == 1024);
    for (unsigned w = 0; w < 16; w++)
        atomic_store(&t.xfree_bits[w], (uint64_t)1 << (w * 3 % 64));
    CHECK(sl_span_sweep(&t) == 16);
    for (unsigned w = 0; w < 16; w++)
        CHECK(sl_span_next_free_index(&t) == w * 64 + (w * 3 % 64));
    CHECK(sl_span_next_free_index(&t) == 1024);
}

static void test_pagealloc(void) {
    sl_pagealloc_t pa = {0};
    uintptr_t base = (uintptr_t)1 << 40; /* never touched: the page allocator keeps bits only */
    CHECK(sl_pagealloc_grow_locked(&pa, base, SL_ARENA_PAGES) == 0);
    bool nz;
    size_t ru;
    uintptr_t a = sl_pagealloc_alloc_locked(&pa, 1, 1, &nz, &ru);
    CHECK(a == base && !nz); /* fresh pages are known zero */
    uintptr_t b = sl_pagealloc_alloc_locked(&pa, 3, 1, &nz, &ru);
    CHECK(b == base + SL_PAGE_SIZE);
    uintptr_t c = sl_pagealloc_alloc_locked(&pa, 2, 4, &nz, &ru); /* 4-page aligned */
    CHECK(c == base + 4 * SL_PAGE_SIZE);
    sl_pagealloc_free_locked(&pa, b, 3);
    uintptr_t d = sl_pagealloc_alloc_locked(&pa, 2, 1, &nz, &ru); /* first fit reuses the hole */
    CHECK(d == base + SL_PAGE_SIZE && nz);                        /* dirty: it was used */
    size_t scav, free_pages = sl_pagealloc_free_pages_locked(&pa, &scav);
    CHECK(free_pages == SL_ARENA_PAGES - 1 - 2 - 2);
    CHECK(scav == free_pages - 1); /* page 3 is free and dirty */
    uintptr_t big = sl_pagealloc_alloc_locked(&pa, SL_ARENA_PAGES, 1, &nz, &ru);
    CHECK(big == 0); /* does not fit */
    /* Scavenging takes the dirty free page. */
    uintptr_t at;
    size_t n = sl_pagealloc_scav_take_locked(&pa, UINT64_MAX, 100, &at);
    CHECK(n == 1 && at == base + 3 * SL_PAGE_SIZE);
    sl_pagealloc_scav_done_locked(&pa, at, n);
    sl_pagealloc_free_pages_locked(&pa, &scav);
    CHECK(scav == SL_ARENA_PAGES - 5);
    CHECK(sl_pagealloc_scav_take_locked(&pa, UINT64_MAX, 100, &at) == 0);
    /* Page cache blocks: the block holding the first free page, its free pages only. */
    uint64_t fm, sm, rm;
    uintptr_t blk = sl_pagealloc_take_block_locked(&pa, &fm, &sm, &rm);
    CHECK(blk == base);
    CHECK(fm == ((~(uint64_t)0 << 6) | (1u << 3)) && sm == fm);
    CHECK(rm == 1u << 3); /* only page 3 was released; the rest are fresh */
    sl_pagealloc_return_block_locked(&pa, blk, fm, sm, rm);
    free_pages = sl_pagealloc_free_pages_locked(&pa, &scav);
    CHECK(free_pages == SL_ARENA_PAGES - 5);
}

/* Release the dirty free pages last freed at or before cutoff, in runs of at most max_run
 * pages, as the scavenger does; returns how many pages. */
static size_t release_dirty(sl_pagealloc_t *pa, uint64_t cutoff, size_t max_run) {
    size_t total = 0, n;
    uintptr_t at;
    while ((n = sl_pagealloc_scav_take_locked(pa, cutoff, max_run, &at)) > 0) {
        sl_pagealloc_scav_done_locked(pa, at, n);
        total += n;
    }
    return total;
}

/* Scavenging reaches every region, however many (it once stopped at 64). */
static void test_scavenge_many_regions(void) {
    enum { NREG = 70 };
    sl_pagealloc_t pa = {0};
    uintptr_t base = (uintptr_t)1 << 41;
    for (int i = 0; i < NREG; i++)
        CHECK(sl_pagealloc_grow_locked(&pa, base + (uintptr_t)i * SL_ARENA_SIZE, SL_ARENA_PAGES) ==
              0);
    bool nz;
    size_t ru;
    for (int i = 0; i < NREG; i++) /* every page used once ... */
        CHECK(sl_pagealloc_alloc_locked(&pa, SL_ARENA_PAGES, 1, &nz, &ru) ==
              base + (uintptr_t)i * SL_ARENA_SIZE);
    for (int i = 0; i < NREG; i++) /* ... and free again: dirty */
        sl_pagealloc_free_locked(&pa, base + (uintptr_t)i * SL_ARENA_SIZE, SL_ARENA_PAGES);
    size_t released = release_dirty(&pa, UINT64_MAX, SL_ARENA_PAGES);
    CHECK_MSG(released == (size_t)NREG * SL_ARENA_PAGES, "released %zu of %zu pages", released,
              (size_t)NREG * SL_ARENA_PAGES);
}

static uint64_t fake_now;
static uint64_t fake_clock(void) {
    return fake_now;
}

/* A page allocator on the fake clock with one region at base, every page of it in use. */
static void fake_region_in_use(sl_pagealloc_t *pa, uintptr_t base) {
    pa->clock_ms = fake_clock;
    CHECK(sl_pagealloc_grow_locked(pa, base, SL_ARENA_PAGES) == 0);
    bool nz;
    size_t ru;
    CHECK(sl_pagealloc_alloc_locked(pa, SL_ARENA_PAGES, 1, &nz, &ru) == base && ru == 0);
}

/* Pages of block w (64 pages) of the region at base. */
#define BLK(w) (base + (uintptr_t)(w)*SL_BLOCK_PAGES * SL_PAGE_SIZE)

/* Decay order: only blocks idle since the cutoff are released, least recently freed
 * first, in runs across equally old neighbours, never more than asked; a block freed
 * into again starts over; released pages handed out again are counted. */
static void test_scavenge_decay(void) {
    sl_pagealloc_t pa = {0};
    uintptr_t base = (uintptr_t)1 << 42;
    fake_region_in_use(&pa, base);
    bool nz;
    size_t ru;
    fake_now = 1000;
    sl_pagealloc_free_locked(&pa, BLK(5), SL_BLOCK_PAGES);
    fake_now = 2000;
    sl_pagealloc_free_locked(&pa, BLK(2), SL_BLOCK_PAGES);
    fake_now = 3000;
    sl_pagealloc_free_locked(&pa, BLK(3), SL_BLOCK_PAGES);
    fake_now = 4000;
    sl_pagealloc_free_locked(&pa, BLK(9), 10);
    uintptr_t at = 0;
    CHECK(sl_pagealloc_scav_take_locked(&pa, 999, SIZE_MAX, &at) == 0); /* all too young */
    /* Oldest first, though it lies higher than block 2. */
    size_t n = sl_pagealloc_scav_take_locked(&pa, 2500, SIZE_MAX, &at);
    CHECK_MSG(n == SL_BLOCK_PAGES && at == BLK(5), "took %zu pages at block %zu", n,
              (size_t)((at - base) / SL_PAGE_SIZE / SL_BLOCK_PAGES));
    sl_pagealloc_scav_done_locked(&pa, at, n);
    /* Block 2, but not its younger neighbour 3 (freed after the cutoff). */
    n = sl_pagealloc_scav_take_locked(&pa, 2500, SIZE_MAX, &at);
    CHECK(n == SL_BLOCK_PAGES && at == BLK(2));
    sl_pagealloc_scav_done_locked(&pa, at, n);
    CHECK(sl_pagealloc_scav_take_locked(&pa, 2500, SIZE_MAX, &at) == 0);
    /* Block 9 is freed into again: it starts over, so block 3 goes first, then nothing. */
    fake_now = 5000;
    sl_pagealloc_free_locked(&pa, BLK(9) + 20 * SL_PAGE_SIZE, 4);
    n = sl_pagealloc_scav_take_locked(&pa, 4500, SIZE_MAX, &at);
    CHECK(n == SL_BLOCK_PAGES && at == BLK(3));
    sl_pagealloc_scav_done_locked(&pa, at, n);
    CHECK(sl_pagealloc_scav_take_locked(&pa, 4500, SIZE_MAX, &at) == 0);
    /* Block 9's 14 dirty pages, in two runs. */
    CHECK(release_dirty(&pa, 5000, SIZE_MAX) == 14);
    /* Two neighbours idle long enough: one run, cut at the page budget. */
    fake_now = 6000;
    sl_pagealloc_free_locked(&pa, BLK(20), SL_BLOCK_PAGES);
    fake_now = 6001;
    sl_pagealloc_free_locked(&pa, BLK(21), SL_BLOCK_PAGES);
    n = sl_pagealloc_scav_take_locked(&pa, 7000, 100, &at);
    CHECK(n == 100);
    sl_pagealloc_scav_done_locked(&pa, at, n);
    uintptr_t at2 = 0;
    size_t n2 = sl_pagealloc_scav_take_locked(&pa, 7000, SIZE_MAX, &at2);
    CHECK(at + (uintptr_t)n * SL_PAGE_SIZE == at2 || at2 + (uintptr_t)n2 * SL_PAGE_SIZE == at);
    CHECK(n + n2 == 2 * SL_BLOCK_PAGES && (at == BLK(20) || at2 == BLK(20)));
    sl_pagealloc_scav_done_locked(&pa, at2, n2);
    CHECK(sl_pagealloc_scav_take_locked(&pa, UINT64_MAX, SIZE_MAX, &at) == 0);
    size_t scav, free_pages = sl_pagealloc_free_pages_locked(&pa, &scav);
    CHECK(free_pages == scav);
    /* Reuse: first fit lands in block 2 (released): counted, and known zero. */
    uintptr_t p = sl_pagealloc_alloc_locked(&pa, SL_BLOCK_PAGES, 1, &nz, &ru);
    CHECK(p == BLK(2) && ru == SL_BLOCK_PAGES && !nz);
    /* A page cache takes block 3 with its released bits and gives them back unused. */
    uint64_t fm, sm, rm;
    CHECK(sl_pagealloc_take_block_locked(&pa, &fm, &sm, &rm) == BLK(3));
    CHECK(fm == ~(uint64_t)0 && sm == fm && rm == fm);
    sl_pagealloc_return_block_locked(&pa, BLK(3), fm, sm, rm);
    CHECK(sl_pagealloc_alloc_locked(&pa, 1, 1, &nz, &ru) == BLK(3) && ru == 1);
    CHECK(sl_pagealloc_scav_take_locked(&pa, UINT64_MAX, SIZE_MAX, &at) == 0);
}

/* The heap verifies clean: counts, hint, order. */
static void check_verify(const sl_pagealloc_t *pa) {
    size_t used;
    const char *why = sl_pagealloc_verify_locked(pa, &used);
    CHECK_MSG(why == NULL, "verify: %s", why ? why : "");
}

/* Dirty first: a run of SL_DIRTY_FIRST_PAGES or more goes to free pages that are all
 * still backed, above a lower released hole it would fit, to the shortest such stretch
 * that holds it; alignment holds there; with no such stretch, first fit as before
 * (released pages, counted); shorter runs keep plain first fit; a dirty stretch in a
 * later region is preferred too. The page allocator verifies clean throughout. */
static void test_dirty_first(void) {
    sl_pagealloc_t pa = {0};
    uintptr_t base = (uintptr_t)1 << 45;
    fake_region_in_use(&pa, base);
    bool nz;
    size_t ru;
    const size_t P = SL_PAGE_SIZE;
    fake_now = 1000;
    sl_pagealloc_free_locked(&pa, BLK(2), 4 * SL_BLOCK_PAGES); /* the low hole ... */
    release_dirty(&pa, UINT64_MAX, SIZE_MAX);                  /* ... released */
    fake_now = 2000;
    sl_pagealloc_free_locked(&pa, BLK(10), 4 * SL_BLOCK_PAGES); /* a dirty hole above */
    sl_pagealloc_free_locked(&pa, BLK(20) + 3 * P, 100);        /* an unaligned dirty hole */
    check_verify(&pa);
    /* 200 pages: the dirty hole, not the released one below it; not known zero. */
    uintptr_t a = sl_pagealloc_alloc_locked(&pa, 200, 1, &nz, &ru);
    CHECK_MSG(a == BLK(10) && ru == 0 && nz, "200 pages at page %zu, %zu released",
              (size_t)((a - base) / P), ru);
    check_verify(&pa);
    /* 32 pages aligned to 32, twice: the first aligned run in the rest of the first dirty
     * hole (pages 200-255 of it), then in the hole that starts 3 pages into block 20. */
    uintptr_t b = sl_pagealloc_alloc_locked(&pa, 32, 32, &nz, &ru);
    CHECK_MSG(b == BLK(10) + 224 * P && ru == 0 && nz, "32 aligned pages at page %zu",
              (size_t)((b - base) / P));
    uintptr_t c = sl_pagealloc_alloc_locked(&pa, 32, 32, &nz, &ru);
    CHECK_MSG(c == BLK(20) + 32 * P && ru == 0, "32 aligned pages at page %zu",
              (size_t)((c - base) / P));
    CHECK(((c - base) / P) % 32 == 0);
    check_verify(&pa);
    /* No dirty run of 240 pages is left: first fit, in the released hole, counted. */
    uintptr_t d = sl_pagealloc_alloc_locked(&pa, 240, 1, &nz, &ru);
    CHECK_MSG(d == BLK(2) && ru == 240 && !nz, "240 pages at page %zu, %zu released",
              (size_t)((d - base) / P), ru);
    check_verify(&pa);
    /* Below the threshold, plain first fit: the rest of the released hole, although dirty
     * pages are free higher up; the hint still finds the lowest free page. */
    uintptr_t e = sl_pagealloc_alloc_locked(&pa, SL_DIRTY_FIRST_PAGES - 1, 1, &nz, &ru);
    CHECK(e == BLK(2) + 240 * P && ru == SL_DIRTY_FIRST_PAGES - 1);
    /* Best fit among dirty stretches: with 224 dirty pages free at BLK(10) again, 20
     * pages go to the 29-page stretch (pages 3-31 of block 20), 36 to the 39-page one
     * after it (pages 64-102), 100 to the 224-page one. */
    sl_pagealloc_free_locked(&pa, a, 200);
    uintptr_t f = sl_pagealloc_alloc_locked(&pa, 20, 1, &nz, &ru);
    CHECK_MSG(f == BLK(20) + 3 * P, "20 pages at page %zu", (size_t)((f - base) / P));
    uintptr_t g = sl_pagealloc_alloc_locked(&pa, 36, 1, &nz, &ru);
    CHECK_MSG(g == BLK(20) + 64 * P, "36 pages at page %zu", (size_t)((g - base) / P));
    uintptr_t h = sl_pagealloc_alloc_locked(&pa, 100, 1, &nz, &ru);
    CHECK_MSG(h == BLK(10) && ru == 0, "100 pages at page %zu", (size_t)((h - base) / P));
    sl_pagealloc_free_locked(&pa, d, 240);
    check_verify(&pa);

    /* Across regions: a released hole in the first, a dirty one in the second. */
    sl_pagealloc_t pb = {0};
    uintptr_t lo = (uintptr_t)1 << 46, hi = lo + SL_ARENA_SIZE;
    fake_region_in_use(&pb, lo);
    CHECK(sl_pagealloc_grow_locked(&pb, hi, SL_ARENA_PAGES) == 0);
    CHECK(sl_pagealloc_alloc_locked(&pb, SL_ARENA_PAGES, 1, &nz, &ru) == hi);
    sl_pagealloc_free_locked(&pb, lo + 64 * P, 128);
    release_dirty(&pb, UINT64_MAX, SIZE_MAX);
    sl_pagealloc_free_locked(&pb, hi + 640 * P, 128);
    uintptr_t x = sl_pagealloc_alloc_locked(&pb, 100, 1, &nz, &ru);
    CHECK_MSG(x == hi + 640 * P && ru == 0, "100 pages at %#zx", (size_t)x);
    check_verify(&pb);
}

/* Reuse of released pages is reported with how long their block had been idle, within
 * the window the previous call set; the decay controller stretches and relaxes. */
static void test_reuse_and_decay_control(void) {
    sl_pagealloc_t pa = {0};
    uintptr_t base = (uintptr_t)1 << 44;
    fake_region_in_use(&pa, base);
    bool nz;
    size_t ru;
    uint64_t idle = 0;
    CHECK(!sl_pagealloc_take_reuse_locked(&pa, 5000, &idle));
    fake_now = 10000;
    sl_pagealloc_free_locked(&pa, BLK(4), SL_BLOCK_PAGES);
    sl_pagealloc_free_locked(&pa, BLK(6), SL_BLOCK_PAGES);
    fake_now = 11000;
    sl_pagealloc_free_locked(&pa, BLK(5), SL_BLOCK_PAGES);
    uintptr_t at;
    size_t n;
    while ((n = sl_pagealloc_scav_take_locked(&pa, 11000, SIZE_MAX, &at)) > 0)
        sl_pagealloc_scav_done_locked(&pa, at, n);
    /* Block 4 back 3 s after its free (a page cache takes it): seen, 3000 ms. */
    fake_now = 13000;
    uint64_t fm, sm, rm;
    CHECK(sl_pagealloc_take_block_locked(&pa, &fm, &sm, &rm) == BLK(4) && rm == ~(uint64_t)0);
    CHECK(sl_pagealloc_take_reuse_locked(&pa, 5000, &idle) && idle == 3000);
    CHECK(!sl_pagealloc_take_reuse_locked(&pa, 2500, &idle));
    /* Blocks 5 and 6 in one run: each block's own idle time; the longest within the
     * window (2500 ms, set above) counts: block 5's 2000 ms, not block 6's 3000. */
    CHECK(sl_pagealloc_alloc_locked(&pa, 2 * SL_BLOCK_PAGES, 1, &nz, &ru) == BLK(5) &&
          ru == 2 * SL_BLOCK_PAGES);
    CHECK(sl_pagealloc_take_reuse_locked(&pa, 0, &idle) && idle == 2000);
    sl_pagealloc_return_block_locked(&pa, BLK(4), fm, sm, rm);

    /* The controller: base 1 s, at most 16 s. */
    sl_decay_t d = {1000, 16000, 1000, 0};
    sl_decay_update(&d, 100, true, 400); /* shorter than the base: not released by decay */
    CHECK(d.eff_ms == 1000);
    sl_decay_update(&d, 200, true, 1500);
    CHECK(d.eff_ms == 3000 && d.calm_since == 200);
    sl_decay_update(&d, 300, true, 1200); /* never shrinks on a reuse */
    CHECK(d.eff_ms == 3000 && d.calm_since == 300);
    sl_decay_update(&d, 400, true, 12000);
    CHECK(d.eff_ms == 16000); /* capped */
    sl_decay_update(&d, 16000, false, 0);
    CHECK(d.eff_ms == 16000); /* not yet calm for 16 s */
    sl_decay_update(&d, 16400, false, 0);
    CHECK(d.eff_ms == 8000 && d.calm_since == 16400);
    sl_decay_update(&d, 24400, false, 0);
    CHECK(d.eff_ms == 4000);
    sl_decay_update(&d, 28400, false, 0);
    sl_decay_update(&d, 30400, false, 0);
    sl_decay_update(&d, 31400, false, 0);
    CHECK(d.eff_ms == 1000);
    sl_decay_update(&d, 90000, false, 0); /* never below the base */
    CHECK(d.eff_ms == 1000);
}

/* The retained goal: the peak in use over the last window (two halves) plus a margin of
 * the given percentage, at least SL_RETAIN_MIN; a peak older than the window is
 * forgotten. */
static void test_retain_goal(void) {
    const size_t M = (size_t)1 << 20;
    sl_retain_t r = {0, 0, 0};
    CHECK(sl_retain_goal(&r, 100, 1000, 100 * M, 30) == 130 * M);
    CHECK(sl_retain_goal(&r, 200, 1000, 10 * M, 30) == 130 * M); /* the peak stays */
    /* A new half: the previous half's peak still counts. */
    CHECK(sl_retain_goal(&r, 600, 1000, 10 * M, 30) == 130 * M && r.since == 600);
    /* The next half: the 100 MiB peak is a window old and forgotten; a small heap keeps
     * SL_RETAIN_MIN over its peak. */
    CHECK(sl_retain_goal(&r, 1100, 1000, 10 * M, 30) == 10 * M + SL_RETAIN_MIN);
    CHECK(sl_retain_goal(&r, 1200, 1000, 12 * M, 30) == 12 * M + SL_RETAIN_MIN);
    /* No sample for longer than a window: nothing of before counts. */
    r.cur = r.prev = 500 * M;
    CHECK(sl_retain_goal(&r, 5000, 1000, 50 * M, 30) == 50 * M + SL_RETAIN_MIN);
    CHECK(sl_retain_goal(&r, 5100, 1000, 50 * M, 100) == 100 * M);
    CHECK(sl_retain_goal(&r, 5200, 1000, 200 * M, 10) == 220 * M);
    /* A window of 0 (SPANLAB_DECAY_MS=0): only the sample itself. */
    CHECK(sl_retain_goal(&r, 5300, 0, 40 * M, 50) == 60 * M);
}

/* Through the heap: a freed large object is released by sl_scavenge, counted, and a
 * later allocation of released pages counts as refaulted. */
static void test_scavenge_counters(void) {
    struct sl_stats a, b, c;
    void *p = sl_malloc(4 << 20);
    memset(p, 1, 4 << 20);
    sl_free(p);
    sl_stats(&a);
    sl_scavenge();
    sl_stats(&b);
    CHECK(b.heap_free == 0 || b.heap_free < a.heap_free);
    CHECK(b.scav_releases > a.scav_releases);
    CHECK(b.scav_pages_released >= a.scav_pages_released + (4 << 20) / SL_PAGE_SIZE);
    void *q = sl_malloc(4 << 20);
    sl_stats(&c);
    CHECK_MSG(c.scav_pages_refaulted > b.scav_pages_refaulted, "refaulted %llu -> %llu",
              (unsigned long long)b.scav_pages_refaulted,
              (unsigned long long)c.scav_pages_refaulted);
    sl_free(q);
}

static void test_spanmap(void) {
    void *p = sl_malloc(100);
    sl_span_t *s = sl_spanmap_lookup((uintptr_t)p);
    CHECK(s && (uintptr_t)p >= s->base && (uintptr_t)p < s->limit);
    CHECK(sl_span_state(s) == SL_SPAN_CACHED);
    void *big = sl_malloc(1 << 20);
    sl_span_t *l = sl_spanmap_lookup((uintptr_t)big + 12345);
    CHECK(l && l->base == (uintptr_t)big && sl_span_state(l) == SL_SPAN_LARGE);
    int local;
    CHECK(sl_spanmap_lookup((uintptr_t)&local) == NULL);
    CHECK(sl_spanmap_lookup(~(uintptr_t)0) == NULL);
    sl_free(big);
    sl_free(p);
}

/* The page -> span map at its edges: the fast lookup (table in the arena header) serves
 * ordinary objects; the header pages, foreign addresses and addresses past the map find
 * nothing; a large object across 64 MiB slots is found from every slot it covers (the
 * later slots' tables are not headers). */
static void test_spanmap_edges(void) {
    void *p = sl_malloc(100);
    uintptr_t a = (uintptr_t)p, hdr = a & ~(uintptr_t)(SL_ARENA_SIZE - 1);
    sl_span_t *s = sl_spanmap_lookup_near(a);
    CHECK_MSG(s && s == sl_spanmap_lookup(a), "fast lookup of %p: %p", p, (void *)s);
    CHECK(((uintptr_t)s & (SL_LINE - 1)) == 0); /* descriptors start on a line (span.h) */
    CHECK(atomic_load(&sl_arenas[a >> SL_ARENA_SHIFT]) == (hdr | SL_ARENA_HEADER));
    size_t span_bytes = (size_t)s->npages << SL_PAGE_SHIFT;
    CHECK(sl_spanmap_lookup(s->base) == s && sl_spanmap_lookup(s->base + span_bytes - 1) == s);
    CHECK(sl_spanmap_lookup(s->base + span_bytes) != s);
    /* The header itself is metadata, never a span. */
    CHECK(sl_spanmap_lookup(hdr) == NULL);
    CHECK(sl_spanmap_lookup(hdr + SL_ARENA_HDR_PAGES * SL_PAGE_SIZE - 1) == NULL);
    /* Foreign addresses: slot 0 (whose table is static), a mapping of our own, past the
     * map. */
    CHECK(sl_spanmap_lookup(4096) == NULL && sl_spanmap_lookup_near(4096) == NULL);
    void *m = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK(sl_spanmap_lookup((uintptr_t)m) == NULL);
    munmap(m, 1 << 16);
    CHECK(sl_spanmap_lookup((uintptr_t)1 << 47) == NULL);
    CHECK(sl_spanmap_lookup_near((uintptr_t)1 << 47) == NULL);
    CHECK(sl_spanmap_lookup_near(~(uintptr_t)0) == NULL);
    /* 100 MiB: at least one 64 MiB slot boundary inside the object. */
    size_t big_size = (size_t)100 << 20;
    char *big = sl_malloc(big_size);
    CHECK(big != NULL);
    if (big) {
        sl_span_t *l = sl_spanmap_lookup((uintptr_t)big);
        CHECK(l && l->base == (uintptr_t)big && sl_span_state(l) == SL_SPAN_LARGE);
        uintptr_t edge = ((uintptr_t)big + SL_ARENA_SIZE) & ~(uintptr_t)(SL_ARENA_SIZE - 1);
        CHECK(edge < (uintptr_t)big + big_size);
        CHECK(sl_spanmap_lookup(edge - 1) == l && sl_spanmap_lookup(edge) == l);
        CHECK(sl_spanmap_lookup((uintptr_t)big + big_size - 1) == l);
        sl_free(big);
    }
    /* Requests that fill whole arenas exactly (64 MiB less the alignment page): each grows
     * the heap by one arena, which then has no room for a header; they are served all the
     * same, their slot's table in metadata. */
    enum { NEXACT = 3 };
    void *exact[NEXACT];
    for (int i = 0; i < NEXACT; i++) {
        exact[i] = sl_malloc(SL_ARENA_SIZE - SL_PAGE_SIZE);
        CHECK_MSG(exact[i] != NULL, "allocation %d of 64 MiB - 8 KiB failed", i);
        if (exact[i])
            CHECK(sl_spanmap_lookup((uintptr_t)exact[i])->base == (uintptr_t)exact[i]);
    }
    for (int i = 0; i < NEXACT; i++)
        sl_free(exact[i]);
    sl_free(p);
}

/* The allocation cache never offers a slot past nelems (the fast path has no bound
 * check): in every class, twice a span's objects come out distinct, on object
 * boundaries, inside their span. */
static void test_alloc_cache_bounds(void) {
    static void *objs[2 * SL_MAX_OBJS_PER_SPAN];
    for (unsigned sc = 1; sc < SL_NUM_SIZE_CLASSES; sc++) {
        size_t size = sl_class_to_size[sc];
        unsigned n = 2u * sl_class_to_nelems[sc], bad = 0;
        for (unsigned i = 0; i < n; i++) {
            objs[i] = sl_malloc(size);
            sl_span_t *s = sl_spanmap_lookup((uintptr_t)objs[i]);
            uintptr_t a = (uintptr_t)objs[i];
            if (!s || a < s->base || a >= s->limit || (a - s->base) % s->elemsize != 0)
                bad++;
            for (unsigned j = 0; j < i && !bad; j++)
                bad += objs[j] == objs[i];
        }
        CHECK_MSG(bad == 0, "class %u (%zu B): %u objects out of place", sc, size, bad);
        for (unsigned i = 0; i < n; i++)
            sl_free(objs[i]);
    }
}

static void test_calloc_zero(void) {
    /* Dirty a span, free everything, calloc from the same class must be zero. */
    enum { N = 200 };
    void *ps[N];
    for (int i = 0; i < N; i++) {
        ps[i] = sl_malloc(200);
        memset(ps[i], 0xAB, 200);
    }
    for (int i = 0; i < N; i++)
        sl_free(ps[i]);
    int nonzero = 0;
    for (int i = 0; i < N; i++) {
        unsigned char *q = sl_calloc(1, 200);
        for (int k = 0; k < 200; k++)
            nonzero |= q[k];
        ps[i] = q;
    }
    CHECK(nonzero == 0);
    for (int i = 0; i < N; i++)
        sl_free(ps[i]);
    unsigned char *big = sl_calloc(1, 100000);
    int nz = 0;
    for (int k = 0; k < 100000; k++)
        nz |= big[k];
    CHECK(nz == 0);
    sl_free(big);
}

static void test_tiny(void) {
    /* Tiny objects are placed in shared 16-byte blocks and freed one by one. */
    char *a = sl_malloc_noscan(4), *b = sl_malloc_noscan(4), *c = sl_malloc_noscan(8);
    CHECK(b == a + 4);
    CHECK(c == a + 8); /* 8-aligned */
    CHECK(sl_usable_size(a) == 4);
    sl_free(b);
    sl_free(a);
    sl_free(c);
    char *d = sl_malloc_noscan(3);
    CHECK(d != NULL);
    sl_free(d);
    void *x = sl_malloc_noscan(16); /* a whole block */
    CHECK(sl_usable_size(x) == 16);
    sl_free(x);
    /* The last object of the block this thread is still filling: its usable size is its
     * own size, not the rest of the block, so growing it in place by realloc cannot run
     * into the next object placed there (that overlap corrupted payloads). */
    sl_thread_exit(); /* start a fresh tiny block */
    char *e = sl_malloc_noscan(1);
    CHECK(sl_usable_size(e) == 1);
    char *e2 = sl_realloc(e, 7);
    char *f = sl_malloc_noscan(5);
    CHECK(f != NULL && (f >= e2 + 7 || f + 5 <= e2));
    CHECK(sl_usable_size(f) == 5 && sl_usable_size(e2) >= 7);
    sl_free(e2);
    sl_free(f);
    /* Churn: every object freed on its own; afterwards nothing leaks in the tiny class. */
    enum { N = 20000 };
    static void *ps[N];
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < N; i++)
            ps[i] = sl_malloc_noscan((size_t)(i % 15) + 1);
        for (int i = N - 1; i >= 0; i--)
            sl_free(ps[i]);
    }
    sl_thread_exit();
    struct sl_central_counters cc;
    sl_central_counters(SL_TINY_SPAN_CLASS, &cc);
    CHECK(cc.spans_cached == 0 && cc.spans_parked == 0);
}

/* Where a span parked by this thread goes when this thread's free unparks it: eager makes
 * it available in the mcentral, home takes it back onto this thread's home list. */
static uint32_t unparked_state(void) {
    return strcmp(sl_policy(), "home") == 0 ? SL_SPAN_CACHED : SL_SPAN_AVAILABLE;
}

/* Allocate objects of s's size until s, which this thread has filled, parks: eager parks
 * an exhausted span at the next refill; home keeps it on the home list and parks it when
 * a whole turn of the list finds it still full. The objects taken go to out[] (at most
 * max); returns how many. */
static int allocate_until_parked(sl_span_t *s, void **out, int max) {
    int n = 0;
    while (sl_span_state(s) != SL_SPAN_PARKED && n < max) {
        out[n] = sl_malloc(s->elemsize);
        CHECK(sl_spanmap_lookup((uintptr_t)out[n]) != s); /* s is full */
        n++;
    }
    CHECK(sl_span_state(s) == SL_SPAN_PARKED);
    return n;
}

static void free_all(void **p, int n) {
    for (int i = 0; i < n; i++)
        sl_free(p[i]);
}

/* The park state word is ABA-prone: a freer ORs its bit, is delayed, the owner sweeps
 * that bit, fills the span again and parks it; the late freer then sees PARKED. It must
 * not make the span available, since it has no free slot. */
static void test_park_aba(void) {
    unsigned spc = sl_spanclass(sl_size_to_class(1024), 0);
    void *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = sl_malloc(1024);
    sl_span_t *s = sl_spanmap_lookup((uintptr_t)p[0]);
    CHECK(s->nelems == 8 && sl_spanmap_lookup((uintptr_t)p[7]) == s);
    unsigned idx = sl_divmul_index((uintptr_t)p[0] - s->base, s->divmul);
    atomic_fetch_or(&s->xfree_bits[idx / 64], (uint64_t)1 << (idx % 64)); /* the freer's OR */
    void *q = sl_malloc(1024); /* sweep reclaims p[0]'s slot */
    CHECK(q == p[0]);
    void *r[256]; /* full again: parked, new spans are cached */
    int nr = allocate_until_parked(s, r, 256);
    struct sl_central_counters before, after;
    sl_central_counters((int)spc, &before);
    sl_central_note_free_remote(s); /* the delayed freer looks at the state */
    sl_central_counters((int)spc, &after);
    CHECK(sl_span_state(s) == SL_SPAN_PARKED);
    CHECK(after.put_available_calls == before.put_available_calls);
    for (int i = 1; i < 8; i++)
        sl_free(p[i]);
    sl_free(q);
    CHECK(sl_span_state(s) == unparked_state()); /* a real free unparked it */
    free_all(r, nr);
}

/* Fill the span p came from, which this thread caches as its current span of the class:
 * returns the first object taken from another span (the refill's). */
static void *fill_span(sl_span_t *s, void **out, int max, int *n) {
    for (;;) {
        CHECK(*n < max);
        void *q = sl_malloc(s->elemsize);
        if (sl_spanmap_lookup((uintptr_t)q) != s)
            return q;
        out[(*n)++] = q;
    }
}

/* home: an exhausted span stays this thread's (on its home list: CACHED, owner unchanged),
 * so this thread's free into it is owner-local and the list's next turn reuses the slot
 * without the mcentral; a listed span that SPANLAB_HOME_TURNS turns in a row find still
 * full parks. A yield of 0 lets a turn take a span with one free slot (test_home_yield
 * tests the yield). */
static void test_home_keeps_exhausted(void) {
    sl_scavenge(); /* empty home lists: the turns below are ours alone */
    sl_home_settings_t saved = sl_home_get(), h = saved;
    h.yield_pct = 0;
    sl_home_set(h);
    uintptr_t me = (uintptr_t)sl_mcache_current();
    enum { MAX = 64 };
    void *ps[MAX];
    int n = 0;
    ps[n++] = sl_malloc(3072);
    sl_span_t *s = sl_spanmap_lookup((uintptr_t)ps[0]);
    void *first_r = fill_span(s, ps, MAX, &n); /* s exhausted; r is the current span */
    sl_span_t *r = sl_spanmap_lookup((uintptr_t)first_r);
    CHECK(sl_span_state(s) == SL_SPAN_CACHED && atomic_load(&s->xowner) == me);
    struct sl_central_counters c0, c1;
    sl_central_counters(-1, &c0);
    void *x = ps[1];
    sl_free(x); /* owner-local: a plain bit in s's local free word */
    CHECK(sl_span_state(s) == SL_SPAN_CACHED);
    ps[n++] = first_r;
    void *from_s = fill_span(r, ps, MAX, &n); /* r exhausted: the turn takes s back */
    CHECK(from_s == x && sl_span_state(r) == SL_SPAN_CACHED);
    ps[1] = from_s;
    unsigned turns = h.turns;
    void *t = sl_malloc(3072); /* s full again: the turn finds r still full */
    CHECK(sl_spanmap_lookup((uintptr_t)t) != s && sl_spanmap_lookup((uintptr_t)t) != r);
    CHECK(sl_span_state(r) == (turns > 1 ? SL_SPAN_CACHED : SL_SPAN_PARKED));
    CHECK(sl_span_state(s) == SL_SPAN_CACHED);
    sl_central_counters(-1, &c1);
    CHECK(c1.cache_calls == c0.cache_calls + 1);                /* t's span only */
    CHECK(c1.uncache_calls == c0.uncache_calls + (turns == 1)); /* r's park, if any */
    CHECK(c1.refills == c0.refills + 2);                        /* r ran out, then s */
    /* r parks at the turn that finds it full for the turns-th time in a row; s, listed one
     * turn after it, is still waiting then. */
    enum { QMAX = 64 };
    void *q[QMAX];
    int nq = 0;
    if (turns > 1) {
        struct sl_central_counters c2;
        nq = allocate_until_parked(r, q, QMAX);
        sl_central_counters(-1, &c2);
        CHECK(c2.uncache_calls == c1.uncache_calls + 1 && sl_span_state(s) == SL_SPAN_CACHED);
        CHECK(c2.refills == c1.refills + turns - 1);
    }
    sl_free(t);
    free_all(q, nq);
    free_all(ps, n);
    CHECK(sl_span_state(r) == SL_SPAN_CACHED); /* our free brought it home */
    sl_home_set(saved);
}

/* home's yield for the tests below: the configured one, or 25 % where that would want a
 * single free slot of s (the rule before the yield). */
static unsigned test_yield(const sl_span_t *s, sl_home_settings_t *h) {
    if (sl_span_share(s, h->yield_pct) < 2) {
        printf("internals: a yield of %u %% wants one free slot of %u: the test uses 25 %%\n",
               h->yield_pct, s->nelems);
        h->yield_pct = 25;
    }
    sl_home_set(*h);
    return sl_span_share(s, h->yield_pct);
}

/* Of want objects at ps[0..want-1], freed, one was allocated again as q: keep it, forget
 * the others. */
static void forget_freed(void **ps, unsigned want, void *q) {
    bool found = false;
    for (unsigned i = 0; i < want; i++) {
        found |= ps[i] == q;
        ps[i] = ps[i] == q ? q : NULL;
    }
    CHECK(found);
}

/* One yield test: the settings to restore, the objects it holds (ps[0..n-1]), and s. */
#define YIELD_MAX 64
typedef struct yield_case {
    sl_home_settings_t saved, h;
    void *ps[YIELD_MAX];
    int n;
    unsigned want; /* the yield, in objects of s */
    sl_span_t *s;
} yield_case_t;

/* From emptied home lists: s, a span of 896-byte objects, all ours, exhausted (so on the
 * list) with want - 1 of them freed, one short of the yield; the other objects and the
 * first of the current span, r, are at ps[0..n-1] (r's last). cap_spans: the cap, in
 * spans like s (0: as configured). */
static void yield_begin(yield_case_t *y, size_t cap_spans) {
    y->saved = y->h = sl_home_get();
    y->n = 0;
    sl_scavenge(); /* empty home lists: the turns that follow are ours alone */
    y->ps[y->n++] = sl_malloc(896);
    y->s = sl_spanmap_lookup((uintptr_t)y->ps[0]);
    if (cap_spans)
        y->h.cap_bytes = cap_spans * ((size_t)y->s->npages << SL_PAGE_SHIFT);
    y->want = test_yield(y->s, &y->h);
    void *first_r =
        fill_span(y->s, y->ps, YIELD_MAX, &y->n); /* s exhausted; r is the current span */
    REQUIRE((unsigned)y->n >= y->want, "home yield: %d objects of s, the yield wants %u", y->n,
            y->want);
    for (unsigned i = 0; i < y->want - 1; i++)
        sl_free(y->ps[i]); /* owner-local */
    y->ps[y->n++] = first_r;
}

/* Of the first nfreed objects, freed, one was allocated again as again: free it and every
 * other object the test holds; restore the settings. */
static void yield_end(yield_case_t *y, unsigned nfreed, void *again) {
    forget_freed(y->ps, nfreed, again);
    free_all(y->ps, y->n);
    sl_home_set(y->saved);
}

/* home: a refill takes a listed span when its sweep finds SPANLAB_HOME_YIELD percent of
 * its slots free. One short of that keeps its slots while the refill takes a new span
 * from the mcentral (the cap has room); once its frees reach the yield, the next turn
 * takes it without the mcentral. */
static void test_home_yield(void) {
    yield_case_t y;
    yield_begin(&y, 0);
    sl_span_t *s = y.s;
    uintptr_t me = (uintptr_t)sl_mcache_current();
    sl_span_t *r = sl_spanmap_lookup((uintptr_t)y.ps[y.n - 1]);
    struct sl_central_counters c0, c1, c2;
    sl_central_counters(-1, &c0);
    void *first_u = fill_span(r, y.ps, YIELD_MAX, &y.n); /* r exhausted: the turn passes s over */
    sl_span_t *u = sl_spanmap_lookup((uintptr_t)first_u);
    sl_central_counters(-1, &c1);
    CHECK(u != s && u != r && c1.cache_calls == c0.cache_calls + 1);
    CHECK(sl_span_state(s) == SL_SPAN_CACHED && atomic_load(&s->xowner) == me);
    sl_free(y.ps[y.want - 1]); /* the yield */
    y.ps[y.n++] = first_u;
    void *from_s = fill_span(u, y.ps, YIELD_MAX, &y.n); /* u exhausted: r still full, s taken */
    sl_central_counters(-1, &c2);
    CHECK(sl_spanmap_lookup((uintptr_t)from_s) == s && c2.cache_calls == c1.cache_calls);
    /* r was full at this turn: its first, which parks it when turns is 1 */
    CHECK(sl_span_state(r) == (y.h.turns > 1 ? SL_SPAN_CACHED : SL_SPAN_PARKED));
    CHECK(sl_span_state(u) == SL_SPAN_CACHED);
    yield_end(&y, y.want, from_s);
}

/* home at its cap: a refill that finds only spans short of the yield takes the freest of
 * them, not a new span that would find no room on the list. A cap of two spans: s and r
 * fill it. */
static void test_home_yield_at_cap(void) {
    yield_case_t y;
    yield_begin(&y, 2);
    struct sl_central_counters c0, c1;
    sl_central_counters(-1, &c0);
    sl_span_t *r = sl_spanmap_lookup((uintptr_t)y.ps[y.n - 1]);
    void *next = fill_span(r, y.ps, YIELD_MAX, &y.n); /* r exhausted: on the list, which is full */
    sl_central_counters(-1, &c1);
    CHECK(sl_spanmap_lookup((uintptr_t)next) == y.s && c1.cache_calls == c0.cache_calls);
    yield_end(&y, y.want - 1, next);
}

/* SPANLAB_UNPARK_PCT: a parked span waits for that share of its objects to be freed. */
static void test_unpark_threshold(void) {
    sl_span_unpark_pct = 50;
    void *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = sl_malloc(2048); /* 4 objects per span */
    sl_span_t *s = sl_spanmap_lookup((uintptr_t)p[0]);
    CHECK(s->nelems == 4 && sl_spanmap_lookup((uintptr_t)p[3]) == s);
    void *q[256]; /* s is full: parked, new spans are cached */
    int nq = allocate_until_parked(s, q, 256);
    sl_free(p[0]);
    CHECK(sl_span_state(s) == SL_SPAN_PARKED); /* 1 of 4 freed: below 50 % */
    sl_free(p[1]);
    CHECK(sl_span_state(s) == unparked_state());
    sl_span_unpark_pct = 0;
    sl_free(p[2]);
    sl_free(p[3]);
    free_all(q, nq);
}

/* sweep: a full span is filed in its class's full set and no free moves it (the bits wait
 * for the next sweep); sl_scavenge forces a cycle whose sweep reclaims every freed slot
 * and returns the then all-free span to the mheap. */
static void test_sweep_cycle(void) {
    void *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = sl_malloc(1024);
    sl_span_t *s = sl_spanmap_lookup((uintptr_t)p[0]);
    CHECK(s->nelems == 8 && sl_spanmap_lookup((uintptr_t)p[7]) == s);
    void *r = sl_malloc(1024); /* s is full: filed in the full set, a new span is cached */
    CHECK(sl_spanmap_lookup((uintptr_t)r) != s && sl_span_state(s) == SL_SPAN_AVAILABLE);
    struct sl_central_counters c0, c1;
    sl_central_counters(-1, &c0);
    for (int i = 0; i < 8; i++)
        sl_free(p[i]); /* remote: the span is not this thread's any more */
    CHECK(sl_span_state(s) == SL_SPAN_AVAILABLE && atomic_load(&s->xowner) == 0);
    sl_central_counters(-1, &c1);
    CHECK(c1.put_available_calls == c0.put_available_calls && c1.spans_parked == 0);
    sl_scavenge();
    sl_central_counters(-1, &c1);
    CHECK(sl_span_state(s) == SL_SPAN_DEAD); /* swept all free: back to the mheap */
    CHECK(c1.sweep_cycles == c0.sweep_cycles + 1);
    CHECK(c1.swept_bg > c0.swept_bg && c1.sweep_reclaimed >= c0.sweep_reclaimed + 8);
    CHECK(c1.spans_returned > c0.spans_returned);
    sl_free(r);
}

/* sweep: Go's per-cycle mcache flush (prepareForSweep) is done in place. At a thread's
 * first refill of a new cycle its cached spans are swept where they are: one it allocated
 * from since its last sweep and with a free slot stays cached and serves on without an
 * mcentral call (even all free); a full one goes to the swept full set; one left untouched
 * for a cycle goes back (all free: to the mheap or a partial set). Classes no other test
 * here uses, so that each span is this test's own; a first allocation of a class is a
 * refill, which runs the flush. */
static void test_sweep_flush_in_place(void) {
    sl_sweep_hold(true); /* no other cycle starts, the background sweeper takes no span */
    void *a[7], *b[3];
    for (int i = 0; i < 3; i++)
        a[i] = sl_malloc(3456); /* 7 per span: 4 slots left */
    for (int i = 0; i < 3; i++)
        b[i] = sl_malloc(5376); /* 3 per span: full, still cached */
    void *cfree = sl_malloc(1792);
    sl_span_t *sa = sl_spanmap_lookup((uintptr_t)a[0]), *sb = sl_spanmap_lookup((uintptr_t)b[0]),
              *sc = sl_spanmap_lookup((uintptr_t)cfree);
    CHECK(sa->nelems == 7 && sb->nelems == 3 && sl_spanmap_lookup((uintptr_t)b[2]) == sb);
    sl_free(cfree); /* owner-local: sc is all free once swept */
    uintptr_t me = (uintptr_t)sl_mcache_current();

    sl_sweep_new_cycle();
    struct sl_central_counters c0, c1, c2, c3;
    sl_central_counters(-1, &c0);
    void *d1 = sl_malloc(9472);
    sl_central_counters(-1, &c1);
    CHECK_MSG(c1.cache_calls == c0.cache_calls + 1, "cache calls %llu -> %llu, want +1",
              (unsigned long long)c0.cache_calls, (unsigned long long)c1.cache_calls);
    CHECK_MSG(sl_span_state(sa) == SL_SPAN_CACHED && atomic_load(&sa->xowner) == me,
              "a partly used span in use was given back by the cycle's flush (state %u)",
              sl_span_state(sa));
    CHECK_MSG(sl_span_state(sc) == SL_SPAN_CACHED && atomic_load(&sc->xowner) == me,
              "an all-free span in use was given back by the cycle's flush (state %u)",
              sl_span_state(sc));
    CHECK_MSG(sl_span_state(sb) == SL_SPAN_AVAILABLE && atomic_load(&sb->xowner) == 0,
              "a full cached span stayed cached through the cycle's flush (state %u)",
              sl_span_state(sb));
    for (int i = 3; i < 6; i++) {
        a[i] = sl_malloc(3456);
        CHECK(sl_spanmap_lookup((uintptr_t)a[i]) == sa);
    }
    sl_central_counters(-1, &c2);
    CHECK_MSG(c2.cache_calls == c1.cache_calls, "the kept span's slots took %llu cache calls",
              (unsigned long long)(c2.cache_calls - c1.cache_calls));

    /* Next cycle: sa was used since the flush swept it, sc was not. */
    sl_sweep_new_cycle();
    void *d2 = sl_malloc(10880);
    sl_central_counters(-1, &c3);
    CHECK(sl_span_state(sa) == SL_SPAN_CACHED && atomic_load(&sa->xowner) == me);
    CHECK_MSG((sl_span_state(sc) == SL_SPAN_AVAILABLE || sl_span_state(sc) == SL_SPAN_DEAD) &&
                  atomic_load(&sc->xowner) == 0,
              "a span left untouched for a cycle stayed cached through the flush (state %u)",
              sl_span_state(sc));
    CHECK(c3.flushes >= c2.flushes + 1); /* sc, given back with slots it never handed out */
    a[6] = sl_malloc(3456);
    CHECK(sl_spanmap_lookup((uintptr_t)a[6]) == sa);
    sl_sweep_hold(false);
    for (int i = 0; i < 7; i++)
        sl_free(a[i]);
    for (int i = 0; i < 3; i++)
        sl_free(b[i]);
    sl_free(d1);
    sl_free(d2);
}

/* The counters that tell an acquisition's worth and a flush: a thread takes one fresh span
 * (cache_slots + its every slot), allocates one object and exits, giving the span back
 * with slots it never handed out (flushes + 1). A class no other test here uses. */
static void *one_object_thread(void *arg) {
    *(void **)arg = sl_malloc(19072); /* 3 per span */
    sl_thread_exit();
    return NULL;
}

static void test_counters_slots_flushes(void) {
    struct sl_central_counters c0, c1;
    sl_central_counters(-1, &c0);
    void *p = NULL;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, one_object_thread, &p) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    sl_central_counters(-1, &c1);
    CHECK(p != NULL);
    CHECK_MSG(c1.cache_calls == c0.cache_calls + 1 && c1.cache_slots == c0.cache_slots + 3,
              "cache calls +%llu, slots +%llu (want +1, +3)",
              (unsigned long long)(c1.cache_calls - c0.cache_calls),
              (unsigned long long)(c1.cache_slots - c0.cache_slots));
    CHECK_MSG(c1.uncache_calls == c0.uncache_calls + 1 && c1.flushes == c0.flushes + 1,
              "uncache calls +%llu, flushes +%llu (want +1, +1)",
              (unsigned long long)(c1.uncache_calls - c0.uncache_calls),
              (unsigned long long)(c1.flushes - c0.flushes));
    sl_free(p);
}

int main(void) {
    CHECK(sl_init(NULL) == 0); /* $SPANLAB_POLICY: registered once per policy */
    test_span_bitmap();
    test_pagealloc();
    test_scavenge_many_regions();
    test_scavenge_decay();
    test_dirty_first();
    test_reuse_and_decay_control();
    test_retain_goal();
    test_scavenge_counters();
    test_spanmap();
    test_spanmap_edges();
    test_alloc_cache_bounds();
    test_calloc_zero();
    if (sl_central_sweep_mode) {
        printf("internals: sweep policy: no span ever parks; the cycle test replaces the "
               "park tests\n");
        test_sweep_cycle();
        test_sweep_flush_in_place();
    } else {
        test_park_aba();
        test_unpark_threshold();
    }
    if (strcmp(sl_policy(), "home") == 0) {
        test_home_keeps_exhausted();
        test_home_yield();
        test_home_yield_at_cap();
    } else
        printf("internals: policy %s keeps no span after it is exhausted: the home list "
               "test does not apply\n",
               sl_policy());
    test_tiny();
    test_counters_slots_flushes();
    return check_done("internals");
}
