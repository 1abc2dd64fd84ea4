/* Span bitmaps: the owner's allocCache/freeindex scan (Go's nextFreeIndex) and the sweep
 * that folds explicit frees back into allocBits. Neighbours: mcache.c (fast path),
 * central.c (ownership), malloc.c (frees). */
#include <string.h>

#include "counters.h"
#include "fatal.h"
#include "span.h"

/* nelems = 0 and an empty cache: every allocation from it fails over to the slow path. */
sl_span_t sl_span_empty;

static inline uint64_t shift_out(uint64_t cache, unsigned t) {
    return (cache >> t) >> 1; /* t + 1 may be 64 */
}

/* Free slots of window w (1 = free): never a bit at or beyond nelems, so that the fast
 * path needs no bound check (malloc.c:alloc_fast). */
static inline uint64_t window_free(const sl_span_t *s, unsigned w) {
    uint64_t c = ~s->alloc_bits[w];
    unsigned past = (unsigned)s->nelems - w * 64; /* slots of the span from this window on */
    return past >= 64 ? c : c & (((uint64_t)1 << past) - 1);
}

void sl_span_refill_cache(sl_span_t *s) {
    unsigned w = s->freeindex / 64;
    uint64_t c = s->freeindex < s->nelems ? window_free(s, w) : 0;
    s->alloc_cache = c >> (s->freeindex % 64);
}

unsigned sl_span_next_free_index(sl_span_t *s) {
    unsigned fi = s->freeindex, n = s->nelems;
    if (fi >= n)
        return n;
    uint64_t cache = s->alloc_cache;
    unsigned t = cache ? (unsigned)__builtin_ctzll(cache) : 64;
    /* An empty cache: the rest of its window is taken. The next window to load starts at
     * the next multiple of 64, or at freeindex itself when the fast path has just taken
     * the last slot of a window (it leaves the reload to us). */
    unsigned next = (fi + 63) & ~63u;
    while (t == 64) {
        if (next >= n) {
            s->freeindex = (uint16_t)n;
            s->alloc_cache = 0;
            return n;
        }
        fi = next;
        next += 64;
        cache = window_free(s, fi / 64);
        t = cache ? (unsigned)__builtin_ctzll(cache) : 64;
    }
    unsigned result = fi + t;
    if (result >= n) { /* a cache set by hand (tests) may have bits past nelems */
        s->freeindex = (uint16_t)n;
        s->alloc_cache = 0;
        return n;
    }
    s->alloc_cache = shift_out(cache, t);
    s->freeindex = (uint16_t)(result + 1);
    return result;
}

unsigned sl_span_unpark_pct; /* set once at initialisation ($SPANLAB_UNPARK_PCT) */

bool sl_span_unpark_ready(sl_span_t *s) {
    unsigned words = (s->nelems + 63u) / 64, need = sl_span_share(s, sl_span_unpark_pct), n = 0;
    for (unsigned w = 0; w < words; w++) {
        /* seq_cst: the park protocol's Dekker pair. pairs with malloc.c:free_remote
         * models park.cc:ready_load, home.cc:ready_load */
        uint64_t bits = sl_load_seqcst(&s->xfree_bits[w]);
        n += (unsigned)__builtin_popcountll(bits);
        if (n >= need)
            return true;
    }
    return false;
}

unsigned sl_span_sweep(sl_span_t *s) {
    unsigned nremote;
    return sl_span_sweep_counts(s, &nremote);
}

unsigned sl_span_sweep_counts(sl_span_t *s, unsigned *nremote) {
    unsigned words = (s->nelems + 63u) / 64, fi = s->freeindex, count = 0, freed_total = 0;
    unsigned nlocal = 0;
    for (unsigned w = 0; w < words; w++) {
        uint64_t below;
        if (fi >= (w + 1) * 64)
            below = ~(uint64_t)0;
        else if (fi <= w * 64)
            below = 0;
        else
            below = ((uint64_t)1 << (fi - w * 64)) - 1;
        uint64_t taken = s->alloc_bits[w] | below;
        uint64_t remote = 0;
        /* Acquire: the freeing thread's writes to the object happen before we reuse it;
         * one exchange, so a free landing meanwhile is either taken or left pending.
         * pairs with malloc.c:free_remote */
        if (sl_load_relaxed(&s->xfree_bits[w]) != 0) {
            /* the site of models sweep.cc:sweep_xchg, home.cc:sweep_xchg */
            remote = sl_exchange_acq_rel(&s->xfree_bits[w], 0);
        }
        uint64_t local = s->local_free[w];
        uint64_t bad = ((local | remote) & ~taken) | (local & remote);
        if (bad) {
            unsigned idx = w * 64 + (unsigned)__builtin_ctzll(bad);
            sl_report_bad("double free or invalid free of %p (found when its span was swept)",
                          sl_span_obj(s, idx));
        }
        uint64_t freed = local | remote;
        s->alloc_bits[w] = taken & ~freed;
        count += (unsigned)__builtin_popcountll(s->alloc_bits[w]);
        if (freed) {
            s->local_free[w] = 0;
            freed_total += (unsigned)__builtin_popcountll(freed);
            nlocal += (unsigned)__builtin_popcountll(local);
        }
    }
    s->alloc_count = (uint16_t)count;
    s->freeindex = 0;
    sl_span_refill_cache(s);
    if (freed_total) {
        s->needzero = true;
        sl_counter_add(s->spanclass, SL_CTR_local_frees, nlocal);
        sl_counter_add(s->spanclass, SL_CTR_remote_frees, freed_total - nlocal);
    }
    *nremote = freed_total - nlocal;
    return freed_total;
}
