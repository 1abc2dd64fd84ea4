/* Tiny blocks with per-object free (see tiny.h for the block word). Neighbours:
 * malloc.c (sl_malloc_noscan, sl_free), mcache.c (flush). */
#include "fatal.h"
#include "malloc_internal.h"
#include "tiny.h"

#define PLACED_SHIFT 16
#define FREED_MASK   0xffffu

static inline _Atomic uint32_t *block_word(sl_span_t *s, unsigned idx) {
    return &s->tiny_words[idx];
}

/* The ends words follow the block words in the side table (mheap.c:desc_ready). */
static inline _Atomic uint16_t *block_ends(sl_span_t *s, unsigned idx) {
    return (_Atomic uint16_t *)(s->tiny_words + SL_MAX_OBJS_PER_SPAN) + idx;
}

void sl_tiny_clear_ends(sl_span_t *s) {
    for (unsigned i = 0; i < s->nelems; i++)
        sl_store_relaxed(block_ends(s, i), 0);
}

/* Publish the placed mask of a block the cache lets go of. */
static void release_block(sl_span_t *s, uintptr_t blk, uint32_t placed) {
    unsigned idx = (unsigned)((blk - s->base) / SL_TINY_SIZE);
    /* acq_rel: the frees of the other objects happen before we free the slot.
     * pairs with tiny.c:sl_tiny_free. model tiny.cc:release_or */
    uint32_t old = sl_fetch_or_acq_rel(block_word(s, idx), placed << PLACED_SHIFT);
    uint32_t freed = old & FREED_MASK;
    if (freed & ~placed)
        sl_report_bad("invalid free of %p: not the start of a tiny object",
                      (void *)(blk + (unsigned)__builtin_ctz(freed & ~placed)));
    if (freed == placed)
        sl_free_slot(s, idx);
}

void sl_tiny_note_whole(sl_span_t *s, uintptr_t p) {
    unsigned idx = (unsigned)((p - s->base) / SL_TINY_SIZE);
    sl_store_relaxed(block_ends(s, idx), 1u << (SL_TINY_SIZE - 1));
    sl_store_relaxed(block_word(s, idx), 1u << PLACED_SHIFT);
}

void *sl_tiny_alloc(size_t size) {
    sl_mcache_t *c = sl_tls_mcache;
    unsigned off = c->tiny_off;
    if ((size & 7) == 0)
        off = (off + 7) & ~7u;
    else if ((size & 3) == 0)
        off = (off + 3) & ~3u;
    else if ((size & 1) == 0)
        off = (off + 1) & ~1u;
    if (c->tiny && off + size <= SL_TINY_SIZE) {
        c->tiny_mask |= 1u << off;
        c->tiny_off = off + (unsigned)size;
        /* Relaxed: the pointer reaches another thread only through a hand-off that
         * orders this store before it. */
        c->tiny_ends |= 1u << (c->tiny_off - 1);
        sl_store_relaxed(c->tiny_endw, (uint16_t)c->tiny_ends);
        return (void *)(c->tiny + off);
    }
    sl_span_t *s;
    void *blk = sl_alloc_spc(SL_TINY_SPAN_CLASS, false, &s);
    if (!blk)
        return NULL;
    c = sl_tls_mcache; /* the slow path may have just created this thread's cache */
    unsigned idx = (unsigned)(((uintptr_t)blk - s->base) / SL_TINY_SIZE);
    sl_store_relaxed(block_word(s, idx), 0);
    sl_store_relaxed(block_ends(s, idx), (uint16_t)(1u << (size - 1)));
    if (!c->tiny || size < c->tiny_off) {
        /* The new block keeps more room than the old one: it becomes current. */
        if (c->tiny)
            sl_tiny_release_current(c);
        c->tiny = (uintptr_t)blk;
        c->tiny_off = (unsigned)size;
        c->tiny_mask = 1;
        c->tiny_ends = 1u << (size - 1);
        c->tiny_endw = block_ends(s, idx);
    } else {
        release_block(s, (uintptr_t)blk, 1);
    }
    return blk;
}

void sl_tiny_release_current(sl_mcache_t *c) {
    if (!c->tiny)
        return;
    uintptr_t blk = c->tiny;
    uint32_t placed = c->tiny_mask;
    c->tiny = 0;
    c->tiny_off = 0;
    c->tiny_mask = 0;
    c->tiny_ends = 0;
    c->tiny_endw = NULL;
    release_block(sl_spanmap_lookup(blk), blk, placed);
}

void sl_tiny_free(sl_span_t *s, unsigned idx, uintptr_t p) {
    uintptr_t blk = s->base + (uintptr_t)idx * SL_TINY_SIZE;
    uint32_t bit = 1u << (p - blk);
    /* acq_rel: whichever OR completes the word frees the slot after every object's last
     * use. pairs with tiny.c:release_block. model tiny.cc:free_or */
    uint32_t old = sl_fetch_or_acq_rel(block_word(s, idx), bit);
    if (old & bit)
        sl_report_bad("double free of %p", (void *)p);
    uint32_t placed = old >> PLACED_SHIFT;
    if (placed) {
        if (!(placed & bit))
            sl_report_bad("invalid free of %p: not the start of a tiny object", (void *)p);
        if (((old | bit) & FREED_MASK) == placed)
            sl_free_slot(s, idx);
    }
}

size_t sl_tiny_usable(sl_span_t *s, unsigned idx, uintptr_t p) {
    uintptr_t blk = s->base + (uintptr_t)idx * SL_TINY_SIZE;
    unsigned off = (unsigned)(p - blk);
    /* The first object end at or after the start is this object's own (objects never
     * overlap); later ends may be there too. Exact even while a cache still fills the
     * block, where the space after the object may yet be handed out. */
    uint32_t ends = sl_load_relaxed(block_ends(s, idx));
    uint32_t mine = ends & ~((1u << off) - 1);
    if (!mine)
        sl_fatal("tiny object %p has no recorded end (block word %#x)", (void *)p,
                 sl_load_relaxed(block_word(s, idx)));
    return (unsigned)__builtin_ctz(mine) + 1 - off;
}
