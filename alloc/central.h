/* The mcentral: Go's mcentral (alloc/central.c) over span sets, the pluggable part of
 * spanlab. A variant is one file in variants/ exporting one `const sl_central_ops_t`,
 * listed in variants/variants.def: a *concurrent span set* (Go >= 1.15's
 * spanSet is one), nothing more. The common layer owns everything else: which set a span
 * goes to, parking, growing from the mheap, sweeping, returning all-free spans, counters.
 * What happens to a full span is the span-return policy's choice (policy.h).
 *
 * Span states (span.h) and the memory order of each transition, stated once here:
 *   mheap -> TRANSIT      sl_central_grow: the descriptor is initialised by this thread
 *                         under the heap lock; nobody else can reach it yet.
 *   TRANSIT -> CACHED     sl_central_cache: xowner CAS 0 -> owner (acq_rel; a second owner
 *                         aborts), then a relaxed store of CACHED (read only by the owner
 *                         and by diagnostics).
 *   CACHED -> TRANSIT     uncache: xowner CAS owner -> 0 (acq_rel), relaxed store.
 *   TRANSIT -> PARKED     seq_cst store, then seq_cst loads of xfree_bits: the Dekker pair
 *                         with a remote free (seq_cst OR of its bit, then seq_cst load of
 *                         xstate). At least one side sees the other.
 *   PARKED -> TRANSIT     seq_cst CAS by whoever saw both the state and a free: one winner.
 *                         It then pushes the span (acquire/release as below) or, under
 *                         the home policy, takes it as its own: TRANSIT -> CACHED as above
 *                         (its home fields were written before the seq_cst PARKED store).
 *   TRANSIT -> AVAILABLE  ops->push, by the variant, *before* the span is reachable through
 *                         the set; the set's publication (unlock, release store or CAS)
 *                         is the release that carries the span's contents.
 *   AVAILABLE -> TRANSIT  ops->pop, by the variant: a store after the set's acquiring
 *                         hand-off, or a CAS AVAILABLE -> TRANSIT when it claims in place.
 *   TRANSIT -> DEAD       sl_mheap_free_span, under the heap lock.
 * AVAILABLE means "held by one of its class's span sets": under `eager` and `home` every
 * such span has a free slot (after a sweep); under `sweep` full spans sit in the full sets
 * and nothing is ever PARKED (a free changes no span's state; see "sweep mode" below).
 */
#ifndef SL_CENTRAL_H
#define SL_CENTRAL_H

#include "span.h"
#include "spanlab.h"

/* One span-set instance. Its memory (ops->set_size bytes, 64-byte aligned, zeroed) is
 * owned by central.c; the variant casts the pointer to its own type. */
typedef struct sl_spanset sl_spanset_t;

/* Set instances per span class (the policy says how many it uses, up to this). */
#define SL_CENTRAL_MAX_SETS 4

typedef struct sl_central_ops {
    const char *name;    /* registry key, [a-z0-9_]+, also the CSV `variant` value */
    const char *summary; /* one line for `slbench --list` */
    size_t set_size;     /* bytes of one instance */

    /* One instance holding spans of class spc (2 .. SL_NUM_SPAN_CLASSES-1). Every instance
     * is initialised at start-up, single-threaded; a variant may link its instances into
     * its own list (fork handlers, canaries). 0 or a negative errno. */
    int (*init)(sl_spanset_t *set, unsigned spc);
    void (*destroy)(sl_spanset_t *set);

    /* The caller owns s (state TRANSIT); afterwards the set does. The variant stores
     * SL_SPAN_AVAILABLE before s becomes reachable, then publishes it (release).
     * May run on any thread. 0, or -ENOMEM when the set could not get the metadata it
     * needs: then nothing changed and the caller still owns s (central.c keeps it). */
    int (*push)(sl_spanset_t *set, sl_span_t *s);

    /* Any span of the set, now owned by the caller: the variant stores SL_SPAN_TRANSIT (or
     * CASes AVAILABLE -> TRANSIT when it claims in place). NULL when the set looks empty;
     * a set may look empty while a push is in flight or while a span waits for a grace
     * period. Never calls into the mheap. */
    sl_span_t *(*pop)(sl_spanset_t *set);

    /* Approximate number of spans held (exact at quiescence). */
    uint64_t (*count)(sl_spanset_t *set);

    /* Optional (NULL = none): a thread starts / stops using the allocator. */
    void (*thread_attach)(void);
    void (*thread_detach)(void);

    /* Add the instance's own counters to out: lock_waits, cas_retries,
     * grace_periods (waited for on the caller's path), grace_periods_bg (completed by a
     * background thread). */
    void (*stats)(sl_spanset_t *set, struct sl_central_counters *out);

    /* Optional: fork() support for every instance (called before the mheap lock is taken
     * and after it is released). */
    void (*atfork_prepare)(void);
    void (*atfork_parent)(void);
    void (*atfork_child)(void);

    /* Test-only observer for the TSan canary driver (tests/tsan/canary.c), in every build:
     * touch the state whose synchronization the canary build (-DSL_TSAN_CANARY) removes,
     * *with* the variant's own synchronization, so that in the control build (no planted
     * bug) it races with nothing and in the canary build only the planted removal can
     * race. The planted line carries the comment `CANARY site`; TSan must report there. */
    void (*canary_touch)(sl_spanset_t *set);
} sl_central_ops_t;

/* The active variant (chosen once by sl_init or $SPANLAB_CENTRAL). */
extern const sl_central_ops_t *sl_central_active;

/* True in a -DSL_TSAN_CANARY build: each variant has one synchronization removed. */
extern const bool sl_central_canary_build;

/* Start-up (init.c): nsets instances of the active variant per span class. 0 or -errno. */
int sl_central_init(const sl_central_ops_t *ops, unsigned nsets);

/* Instance i of class spc (tests, the canary driver and the policies). */
sl_spanset_t *sl_central_set(unsigned spc, unsigned i);

/* --- Go's mcentral ------------------------------------------------------------------ */

/* Flags for sl_central_cache. */
#define SL_CACHE_NOGROW 1u /* return NULL instead of growing from the mheap */
#define SL_CACHE_ANY    2u /* sweep mode: a full swept span too, last (drains and tests) */

/* Take a span with a free slot for cache `owner` (non-zero, unique per cache): pops set 0
 * (then the out-of-memory fallback list), grows from the mheap unless SL_CACHE_NOGROW;
 * sets xowner by CAS (a second owner aborts: "span owned by two caches"), state CACHED,
 * and sweeps it. NULL: nothing available with NOGROW, or errno = ENOMEM. */
sl_span_t *sl_central_cache(unsigned spc, uintptr_t owner, unsigned flags);

/* Give back a span owned by `owner`, after sweeping it (folding in every free so far):
 * parks it if full, returns it to the mheap if all free and the class already has
 * enough available spans, else pushes it to set 0. */
void sl_central_uncache(sl_span_t *s, uintptr_t owner);

/* A free landed in span s (any thread, after the xfree_bits OR) and saw it PARKED: unpark
 * it if enough frees are pending. Exactly one caller wins; the policy's `unparked` hook
 * may keep the span, else it goes to set 0. */
void sl_central_note_free_remote(sl_span_t *s);

/* The caller won PARKED -> TRANSIT on s and keeps it for cache `owner` (the home policy):
 * xowner CAS 0 -> owner, state CACHED, counted as a home return (the span's home thread)
 * or an adoption (another thread's span); swept when next used. */
void sl_central_claim_unparked(sl_span_t *s, uintptr_t owner, bool adopted);

/* A span the caller owns (TRANSIT, not full) into set i of its class. When the set cannot
 * take it (-ENOMEM), an all-free span goes back to the mheap and any other joins the
 * class's fallback list, a mutex-guarded list in central.c that sl_central_cache drains
 * after the sets: no span is ever lost to a metadata shortage. */
void sl_central_push(unsigned i, sl_span_t *s);

/* A fresh span of class spc from the mheap, state TRANSIT, owned by the caller; NULL with
 * errno = ENOMEM. Counts spans_grown. */
sl_span_t *sl_central_grow(unsigned spc);

/* --- sweep mode (the sweep policy; Go >= 1.15 mcentral.go) ------------------------------
 * Per class four set instances: partial[0..1] (sets 0, 1: spans with a free slot) and
 * full[0..1] (sets 2, 3). The sweep generation g (Go's mheap_.sweepgen / 2) picks the
 * roles: partial[g % 2] is the swept partial set, partial[1 - g % 2] the unswept one, full
 * likewise, so raising g turns every swept span unswept without moving it. A span is in
 * exactly one set or owned by one thread (popping is owning), so no set holds stale
 * entries and no per-span sweepgen CAS is needed: whoever pops an unswept span sweeps it.
 * A span is filed by the generation read before its sweep, so a raise in between files
 * it by the old roles: it lands in what is now an unswept set and is swept once more
 * (harmless), never in the new swept set unswept (Go's invariant: swept for g means swept
 * in g; tests/models/sweep.cc, scenario cycle-vs-sweeper). Only two raises while one
 * thread holds a span it swept could break that, and then no free is lost either (every
 * span is swept again when it is cached or given back; its reuse waits a cycle).
 * sl_central_cache: swept partial; else sweep
 * an unswept partial span and use it (Go's preserve: even all free); else sweep up to
 * SL_SWEEP_BUDGET + 1 unswept full spans, filing the still-full ones as swept; else the
 * fallback list; else grow. sl_central_uncache files a span by its sweep: full set if
 * full, mheap if all free (anti-thrash rule), else partial set; it never parks. */

/* Set once at initialisation: the active policy uses sweep generations. */
extern bool sl_central_sweep_mode;

/* Unswept full spans cacheSpan sweeps before growing (Go: spanBudget = 100). */
#define SL_SWEEP_BUDGET 100

/* The current sweep generation (acquire). */
uint64_t sl_central_sweepgen(void);

/* Raise the generation by one (release). The caller serialises cycle starts and has
 * finished the previous cycle's sweep (every unswept set empty, Go's finishsweep_m). */
void sl_central_sweep_advance(void);

/* Pop one unswept span of class spc (partial first, then full), sweep it, count it under
 * ctr (SL_CTR_swept_alloc or SL_CTR_swept_bg) and file it: an all-free span goes back to
 * the mheap when release_empty or the anti-thrash rule says so. False: none was left. */
bool sl_central_sweep_one(unsigned spc, unsigned ctr, bool release_empty);

/* The sweep trigger's inputs. Heap live: bytes of small objects allocated and not freed,
 * counting every free slot of a cached span as allocated (reserved when cached, the
 * unused rest given back when uncached), plus large objects. Remote frees are counted when
 * they happen (batched per thread, at most SL_LIVE_BATCH bytes late, flushed at each
 * refill and thread exit; a thread that frees but never allocates may keep up to a
 * batch: the estimate errs high, which only starts cycles earlier), owner-local ones
 * when the owner's sweep folds them: no free waits for a cycle to be counted, so garbage
 * never inflates the base of the next trigger. */
#define SL_LIVE_BATCH ((int64_t)64 << 10)
size_t sl_central_heap_live(void);
/* Bytes handed to mcaches for allocation since start-up (reserved when cached, the unused
 * rest taken back when uncached): what "allocated since the cycle began" is measured in. */
uint64_t sl_central_heap_alloc(void);
extern __thread int64_t sl_tls_live_freed; /* remote-freed bytes not yet subtracted */
void sl_central_live_flush(void);          /* subtract this thread's batch now */
static inline void sl_central_live_freed(uint32_t bytes) {
    if ((sl_tls_live_freed += bytes) >= SL_LIVE_BATCH)
        sl_central_live_flush();
}

/* The owner sweeps its cached span s (mcache.c): like sl_span_sweep, plus the heap-live
 * accounting in sweep mode. Returns the slots freed. */
unsigned sl_central_sweep_cached(sl_span_t *s);

/* Sum of common and variant counters of one class (spc) or of all (spc = -1). */
void sl_central_counters(int spc, struct sl_central_counters *out);

/* The available-set size of class spc as the common counters see it (exact when no
 * operation is in flight); conformance tests compare it with the sets' own count. */
uint64_t sl_central_available_derived(unsigned spc);

/* Drain available spans of every class: all-free ones go back to the mheap. Used by
 * sl_scavenge. */
void sl_central_release_empty(void);

void sl_central_atfork_prepare(void);
void sl_central_atfork_parent(void);
void sl_central_atfork_child(void);

/* Registry (variants/registry.c). */
const sl_central_ops_t *sl_variant_find(const char *name);
const sl_central_ops_t *const *sl_variant_list(void); /* NULL-terminated */

#endif
