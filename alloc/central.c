/* Go's mcentral over span sets: per span class, the active variant's set instances, the
 * park/unpark protocol, growing from the mheap, the empty-span policy, the out-of-memory
 * fallback list and the per-class counters. Neighbours: the policies (policy_*.c) and
 * mcache.c call it, malloc.c reports remote frees, variants/ implement the sets. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "central.h"
#include "counters.h"
#include "fatal.h"
#include "mcache.h"
#include "mheap.h"
#include "os.h"
#include "policy.h"

/* An all-free span given back is kept while its class has fewer available spans than
 * this (anti-thrash: the next refill finds it), and returned to the mheap otherwise. */
#define SL_CENTRAL_KEEP_AVAILABLE 4

typedef struct mcentral {
    sl_spanset_t *sets[SL_CENTRAL_MAX_SETS]; /* set at start-up, then immutable */
    /* Spans a set could not take (push -> -ENOMEM), linked by heap_next: under
     * fallback_lock, a leaf lock (nothing else is called while it is held). */
    _Alignas(64) pthread_mutex_t fallback_lock;
    sl_span_t *fallback;
    _Atomic uint64_t xnfallback; /* spans on it; written under the lock, peeked relaxed */
} mcentral_t;

const sl_central_ops_t *sl_central_active;
#ifdef SL_TSAN_CANARY
const bool sl_central_canary_build = true;
#else
const bool sl_central_canary_build = false;
#endif
static mcentral_t mcentrals[SL_NUM_SPAN_CLASSES];
static unsigned central_nsets;

int sl_central_init(const sl_central_ops_t *ops, unsigned nsets) {
    if (nsets == 0 || nsets > SL_CENTRAL_MAX_SETS)
        return -EINVAL;
    size_t stride = (ops->set_size + 63) & ~(size_t)63;
    char *mem = sl_os_meta_alloc(stride * nsets * SL_NUM_SPAN_CLASSES);
    if (!mem)
        return -ENOMEM;
    central_nsets = nsets;
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
        mcentral_t *m = &mcentrals[spc];
        int r = -pthread_mutex_init(&m->fallback_lock, NULL);
        for (unsigned i = 0; i < nsets && r == 0; i++) {
            m->sets[i] = (sl_spanset_t *)(void *)(mem + (spc * nsets + i) * stride);
            r = ops->init(m->sets[i], spc);
        }
        if (r < 0) {
            sl_message("variant %s failed to initialise a span set of class %u: %s", ops->name, spc,
                       strerror(-r));
            return r;
        }
    }
    return 0;
}

sl_spanset_t *sl_central_set(unsigned spc, unsigned i) {
    return i < central_nsets ? mcentrals[spc].sets[i] : NULL;
}

uint64_t sl_central_available_derived(unsigned spc) {
    uint64_t c[SL_CTR_N];
    sl_counters_read(spc, c);
    /* Spans enter the available sets by uncache (not parked, not returned) and by
     * put_available; they leave by cache calls that did not grow. */
    uint64_t in = c[SL_CTR_uncache_calls] - c[SL_CTR_PARKS] - c[SL_CTR_spans_returned] +
                  c[SL_CTR_put_available_calls] + c[SL_CTR_spans_grown];
    return in > c[SL_CTR_cache_calls] ? in - c[SL_CTR_cache_calls] : 0;
}

static uint64_t available_count(unsigned spc) {
    mcentral_t *m = &mcentrals[spc];
    uint64_t n = sl_load_relaxed(&m->xnfallback);
    for (unsigned i = 0; i < central_nsets; i++)
        n += sl_central_active->count(m->sets[i]);
    return n;
}

sl_span_t *sl_central_grow(unsigned spc) {
    sl_mcache_t *mc = sl_mcache_current();
    size_t npages = sl_class_to_npages[sl_spanclass_sizeclass(spc)];
    sl_span_t *s = sl_mheap_alloc_span(mc ? &mc->pcache : NULL, npages, spc, 1);
    if (s)
        sl_counter_bump(spc, SL_CTR_spans_grown);
    return s;
}

/* --- the out-of-memory fallback list ------------------------------------------------ */

static void fallback_put(mcentral_t *m, sl_span_t *s) {
    pthread_mutex_lock(&m->fallback_lock);
    sl_store_relaxed(&s->xstate, SL_SPAN_AVAILABLE);
    s->heap_next = m->fallback;
    m->fallback = s;
    sl_store_relaxed(&m->xnfallback, sl_load_relaxed(&m->xnfallback) + 1);
    pthread_mutex_unlock(&m->fallback_lock);
}

static sl_span_t *fallback_take(mcentral_t *m) {
    if (!sl_load_relaxed(&m->xnfallback))
        return NULL;
    pthread_mutex_lock(&m->fallback_lock);
    sl_span_t *s = m->fallback;
    if (s) {
        m->fallback = s->heap_next;
        s->heap_next = NULL;
        sl_store_relaxed(&m->xnfallback, sl_load_relaxed(&m->xnfallback) - 1);
        sl_store_relaxed(&s->xstate, SL_SPAN_TRANSIT);
    }
    pthread_mutex_unlock(&m->fallback_lock);
    return s;
}

void sl_central_push(unsigned i, sl_span_t *s) {
    mcentral_t *m = &mcentrals[s->spanclass];
    int r = sl_central_active->push(m->sets[i], s);
    if (r == 0)
        return;
    if (r != -ENOMEM)
        sl_fatal("variant %s: push of span %p failed: %d", sl_central_active->name, (void *)s->base,
                 r);
    if (s->alloc_count == 0) {
        /* Only uncache gives back all-free spans: count it returned, not available. */
        sl_counter_bump(s->spanclass, SL_CTR_spans_returned);
        sl_mheap_free_span(s);
        return;
    }
    fallback_put(m, s);
}

/* --- cache / uncache ---------------------------------------------------------------- */

static sl_span_t *take(unsigned spc, unsigned flags) {
    mcentral_t *m = &mcentrals[spc];
    sl_span_t *s = sl_central_active->pop(m->sets[0]);
    if (!s)
        s = fallback_take(m);
    if (!s && !(flags & SL_CACHE_NOGROW))
        s = sl_central_grow(spc);
    return s;
}

/* --- sweep mode (central.h) ------------------------------------------------------------ */

bool sl_central_sweep_mode;
/* Sweep generation: raised by sl_central_sweep_advance under the policy's cycle lock.
 * Release there, acquire here: a thread that sees the new roles also sees the previous
 * cycle's filing (the sets' own synchronization orders each span's filing already).
 * pairs with central.c:sl_central_sweep_advance
 * A span is filed by the generation read BEFORE its sweep: if a cycle started meanwhile,
 * that set is now an unswept one and the span is swept again in the new cycle (Go's
 * invariant: "swept" for generation g means swept in g): the scenario cycle-vs-sweeper of
 * tests/models/sweep.cc. */
static _Atomic uint64_t xsweepgen;

static inline unsigned partial_set(uint64_t gen, bool swept) {
    return (unsigned)((gen + !swept) & 1);
}

static inline unsigned full_set(uint64_t gen, bool swept) {
    return 2 + partial_set(gen, swept);
}

static _Atomic int64_t xlive;  /* small-object bytes; relaxed adds, read by the trigger */
static _Atomic int64_t xalloc; /* bytes handed to mcaches for allocation, ever (the pace) */
__thread int64_t sl_tls_live_freed;

static void live_add(int64_t bytes) {
    sl_fetch_add_relaxed(&xlive, bytes);
}

void sl_central_live_flush(void) {
    live_add(-sl_tls_live_freed);
    sl_tls_live_freed = 0;
}

uint64_t sl_central_heap_alloc(void) {
    int64_t v = sl_load_relaxed(&xalloc);
    return v > 0 ? (uint64_t)v : 0;
}

size_t sl_central_heap_live(void) {
    int64_t v = sl_load_relaxed(&xlive);
    return (v > 0 ? (size_t)v : 0) + sl_mheap_large_bytes();
}

/* A cached span counts as all allocated: remote frees into it, already subtracted when
 * they happened, are added back when its owner folds them in. */
unsigned sl_central_sweep_cached(sl_span_t *s) {
    unsigned nremote, freed = sl_span_sweep_counts(s, &nremote);
    if (sl_central_sweep_mode && freed) {
        live_add((int64_t)nremote * s->elemsize);
        sl_fetch_add_relaxed(&xalloc, (int64_t)freed * s->elemsize);
    }
    return freed;
}

uint64_t sl_central_sweepgen(void) {
    /* model sweep.cc:gen_load */
    return sl_load_acquire(&xsweepgen);
}

void sl_central_sweep_advance(void) {
    /* pairs with central.c:sl_central_sweepgen. model sweep.cc:gen_advance */
    sl_fetch_add_acq_rel(&xsweepgen, 1);
}

/* Sweep s, just popped from an unswept set (the caller owns it, TRANSIT), and count it. */
static void sweep_counted(sl_span_t *s, unsigned ctr) {
    unsigned freed = sl_span_sweep(s);
    sl_counter_bump(s->spanclass, ctr);
    sl_counter_add(s->spanclass, SL_CTR_sweep_reclaimed, freed);
}

/* File a span the caller owns (TRANSIT) and swept after reading generation gen, by that
 * generation's roles: full set, partial set, or the mheap when all free and release_empty
 * or the class has enough available. */
static void file_swept(sl_span_t *s, uint64_t gen, bool release_empty) {
    unsigned spc = s->spanclass;
    if (s->alloc_count == 0 &&
        (release_empty || available_count(spc) >= SL_CENTRAL_KEEP_AVAILABLE)) {
        sl_counter_bump(spc, SL_CTR_spans_returned);
        sl_mheap_free_span(s);
        return;
    }
    sl_central_push(s->alloc_count == s->nelems ? full_set(gen, true) : partial_set(gen, true), s);
}

bool sl_central_sweep_one(unsigned spc, unsigned ctr, bool release_empty) {
    mcentral_t *m = &mcentrals[spc];
    uint64_t gen = sl_central_sweepgen();
    sl_span_t *s = sl_central_active->pop(m->sets[partial_set(gen, false)]);
    if (!s)
        s = sl_central_active->pop(m->sets[full_set(gen, false)]);
    if (!s)
        return false;
    sweep_counted(s, ctr);
    /* model sweep.cc:sweep_one_files_by_popped_gen */
    file_swept(s, gen, release_empty);
    return true;
}

/* Go's cacheSpan order (central.h). A full span only with SL_CACHE_ANY. */
static sl_span_t *take_sweep(unsigned spc, unsigned flags) {
    mcentral_t *m = &mcentrals[spc];
    uint64_t gen = sl_central_sweepgen();
    sl_span_t *s = sl_central_active->pop(m->sets[partial_set(gen, true)]);
    if (s)
        return s;
    if ((s = sl_central_active->pop(m->sets[partial_set(gen, false)]))) {
        sweep_counted(s, SL_CTR_swept_alloc);
        return s; /* it had a free slot before; the sweep only adds some */
    }
    for (int budget = SL_SWEEP_BUDGET; budget >= 0; budget--) {
        if (!(s = sl_central_active->pop(m->sets[full_set(gen, false)])))
            break;
        sweep_counted(s, SL_CTR_swept_alloc);
        if (s->alloc_count < s->nelems)
            return s;
        sl_central_push(full_set(gen, true), s);
    }
    /* The fallback list may hold full spans here (a full set that could not take one). */
    if ((s = fallback_take(m))) {
        sl_span_sweep(s);
        if (s->alloc_count < s->nelems || (flags & SL_CACHE_ANY))
            return s;
        fallback_put(m, s);
    }
    if (flags & SL_CACHE_ANY) {
        for (unsigned i = 0; i < 2 && !s; i++)
            s = sl_central_active->pop(m->sets[full_set(gen, i == 0)]);
        if (s)
            return s;
    }
    return flags & SL_CACHE_NOGROW ? NULL : sl_central_grow(spc);
}

sl_span_t *sl_central_cache(unsigned spc, uintptr_t owner, unsigned flags) {
    sl_span_t *s = sl_central_sweep_mode ? take_sweep(spc, flags) : take(spc, flags);
    if (!s) {
        if (!(flags & SL_CACHE_NOGROW))
            errno = ENOMEM;
        return NULL;
    }
    uint32_t st = sl_span_state(s);
    if (st != SL_SPAN_TRANSIT || s->spanclass != spc)
        sl_fatal("variant %s returned a span in state %u of class %u (wanted TRANSIT, class %u)",
                 sl_central_active->name, st, s->spanclass, spc);
    uintptr_t none = 0;
    /* acq_rel: this owner sees every write of the last one, which its CAS owner -> 0
     * released; a failed CAS reads nothing it uses. pairs with central.c:uncache */
    if (!sl_cas_acq_rel_relaxed(&s->xowner, &none, owner))
        sl_fatal("span %p owned by two caches (%#lx and %#lx)", (void *)s->base,
                 (unsigned long)none, (unsigned long)owner);
    sl_store_relaxed(&s->xstate, SL_SPAN_CACHED);
    s->home = NULL; /* a policy that wants a home sets it before the span parks */
    sl_span_sweep(s);
    sl_counter_add(spc, SL_CTR_cache_slots, sl_span_free_slots(s));
    if (sl_central_sweep_mode) { /* every free slot reserved (heap live) */
        int64_t r = (int64_t)sl_span_free_slots(s) * s->elemsize;
        live_add(r);
        sl_fetch_add_relaxed(&xalloc, r);
    }
    sl_counter_bump(spc, SL_CTR_cache_calls);
    return s;
}

void sl_central_claim_unparked(sl_span_t *s, uintptr_t owner, bool adopted) {
    uintptr_t none = 0;
    /* The caller won PARKED -> TRANSIT: the span has no owner. acq_rel as in
     * sl_central_cache. pairs with central.c:uncache. model home.cc:claim_cas */
    if (!sl_cas_acq_rel_relaxed(&s->xowner, &none, owner))
        sl_fatal("span %p owned by two caches (%#lx and %#lx)", (void *)s->base,
                 (unsigned long)none, (unsigned long)owner);
    /* Relaxed: only the owner reads its own span's state as CACHED; a freer's seq_cst load
     * of it only needs "not PARKED". model home.cc:claim_state_store */
    sl_store_relaxed(&s->xstate, SL_SPAN_CACHED);
    s->home = NULL;
    sl_counter_bump(s->spanclass, adopted ? SL_CTR_adoptions : SL_CTR_home_returns);
}

static void uncache(sl_span_t *s, uintptr_t owner, bool release_empty) {
    unsigned spc = s->spanclass;
    uintptr_t cur = owner;
    /* Ours, and from here on nobody's. acq_rel: the next owner sees this owner's writes.
     * pairs with central.c:sl_central_cache and sl_central_claim_unparked.
     * model home.cc:uncache_owner_cas */
    if (sl_span_state(s) != SL_SPAN_CACHED || !sl_cas_acq_rel_relaxed(&s->xowner, &cur, 0))
        sl_fatal("span %p given back by %#lx, which does not own it (owner %#lx, state %u)",
                 (void *)s->base, (unsigned long)owner, (unsigned long)cur, sl_span_state(s));
    /* Sweep mode: the generation before the sweep, the span filed by it (file_swept).
     * model sweep.cc:uncache_gen_before_sweep */
    uint64_t gen = sl_central_sweep_mode ? sl_central_sweepgen() : 0;
    unsigned nremote, freed = sl_span_sweep_counts(s, &nremote);
    /* Slots never handed out since the last sweep: a flush (thread exit, drain, the sweep
     * policy's cycle flush) rather than an exhausted span. */
    unsigned unused = sl_span_free_slots(s) - freed;
    sl_counter_bump(spc, SL_CTR_uncache_calls);
    if (unused)
        sl_counter_bump(spc, SL_CTR_flushes);
    if (sl_central_sweep_mode) {
        /* Was all allocated less the remote frees since caching: now exactly alloc_count. */
        live_add(((int64_t)s->alloc_count - s->nelems + nremote) * s->elemsize);
        sl_fetch_sub_relaxed(&xalloc, (int64_t)unused * s->elemsize);
        /* Never parks: a full span waits in the swept full set for the next cycle. */
        sl_store_relaxed(&s->xstate, SL_SPAN_TRANSIT);
        file_swept(s, gen, release_empty);
        return;
    }
    if (s->alloc_count == s->nelems) {
        /* Park. Dekker-style with free_remote: we store the state then look for frees;
         * a freer ORs its bit then looks at the state. seq_cst on both sides means at
         * least one of us sees the other; the PARKED -> TRANSIT CAS picks one winner.
         * pairs with malloc.c:free_remote */
        sl_counter_bump(spc, SL_CTR_PARKS);
        /* models park.cc:park_store, home.cc:park_store */
        sl_store_seqcst(&s->xstate, SL_SPAN_PARKED);
        /* The re-check: a free that saw the state before our store relies on us.
         * model park.cc:owner_recheck */
        if (sl_span_unpark_ready(s))
            sl_central_note_free_remote(s);
        return;
    }
    sl_store_relaxed(&s->xstate, SL_SPAN_TRANSIT);
    if (s->alloc_count == 0 &&
        (release_empty || available_count(spc) >= SL_CENTRAL_KEEP_AVAILABLE)) {
        sl_counter_bump(spc, SL_CTR_spans_returned);
        sl_mheap_free_span(s);
        return;
    }
    sl_central_push(0, s);
}

void sl_central_uncache(sl_span_t *s, uintptr_t owner) {
    uncache(s, owner, false);
}

void sl_central_note_free_remote(sl_span_t *s) {
    for (;;) {
        uint32_t parked = SL_SPAN_PARKED;
        /* One winner among the freers and the owner.
         * models park.cc:unpark_cas, home.cc:unpark_cas */
        if (!sl_cas_seqcst(&s->xstate, &parked, SL_SPAN_TRANSIT))
            return; /* not parked, or another freer won */
        /* The state word can be ABA: our bit may have been swept in an earlier episode
         * and the span parked again since, full. Only a span with enough pending frees
         * may become available. model park.cc:unpark_recheck */
        if (sl_span_unpark_ready(s)) {
            /* The policy may keep it (home: its home thread's first free).
             * model home.cc:unparked_call */
            if (sl_policy_active->unparked && sl_policy_active->unparked(s))
                return; /* the policy took it (home) */
            sl_counter_bump(s->spanclass, SL_CTR_put_available_calls);
            sl_central_push(0, s);
            return;
        }
        /* Park it again, with the same store-then-look as uncache: a free that lands
         * while we held it sees TRANSIT and relies on us to see its bit.
         * pairs with malloc.c:free_remote. model park.cc:repark_store */
        sl_store_seqcst(&s->xstate, SL_SPAN_PARKED);
        /* model park.cc:repark_recheck */
        if (!sl_span_unpark_ready(s))
            return;
    }
}

void sl_central_release_empty(void) {
    uintptr_t owner = (uintptr_t)&owner; /* unique while this call runs */
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
        uint64_t n = sl_central_available_derived(spc);
        sl_span_t *keep = NULL;
        for (uint64_t i = 0; i < n; i++) {
            sl_span_t *s = sl_central_cache(spc, owner, SL_CACHE_NOGROW);
            if (!s)
                break;
            if (s->alloc_count == 0) {
                uncache(s, owner, true);
            } else {
                s->heap_next = keep; /* private list while we own them */
                keep = s;
            }
        }
        while (keep) {
            sl_span_t *s = keep;
            keep = s->heap_next;
            s->heap_next = NULL;
            uncache(s, owner, false);
        }
    }
}

void sl_central_counters(int spc, struct sl_central_counters *out) {
    *out = (struct sl_central_counters){0};
    out->sweep_cycles = sl_load_relaxed(&xsweepgen);
    unsigned lo = spc < 0 ? SL_FIRST_SPAN_CLASS : (unsigned)spc;
    unsigned hi = spc < 0 ? SL_NUM_SPAN_CLASSES : lo + 1;
    for (unsigned k = lo; k < hi; k++) {
        uint64_t c[SL_CTR_N];
        sl_counters_read(k, c);
#define CENTRAL_SUM_TALLY(name, kind) SL_CTR_IF(kind, out->name += c[SL_CTR_##name];)
        SL_CENTRAL_COUNTERS(CENTRAL_SUM_TALLY)
#undef CENTRAL_SUM_TALLY
        out->spans_cached += c[SL_CTR_cache_calls] + c[SL_CTR_home_returns] + c[SL_CTR_adoptions] -
                             c[SL_CTR_uncache_calls];
        out->spans_parked += c[SL_CTR_PARKS] - c[SL_CTR_put_available_calls] -
                             c[SL_CTR_home_returns] - c[SL_CTR_adoptions];
        if (!sl_central_active)
            continue;
        out->spans_available += available_count(k);
        for (unsigned i = 0; i < central_nsets; i++)
            sl_central_active->stats(mcentrals[k].sets[i], out);
    }
}

void sl_central_atfork_prepare(void) {
    if (sl_central_active->atfork_prepare)
        sl_central_active->atfork_prepare();
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++)
        pthread_mutex_lock(&mcentrals[spc].fallback_lock);
}

void sl_central_atfork_parent(void) {
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++)
        pthread_mutex_unlock(&mcentrals[spc].fallback_lock);
    if (sl_central_active->atfork_parent)
        sl_central_active->atfork_parent();
}

void sl_central_atfork_child(void) {
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++)
        pthread_mutex_init(&mcentrals[spc].fallback_lock, NULL);
    if (sl_central_active->atfork_child)
        sl_central_active->atfork_child();
}
