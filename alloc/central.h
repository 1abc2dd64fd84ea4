/* The mcentral contract: the pluggable part of spanlab. A variant is one file in variants/
 * exporting one `const sl_central_ops_t`, registered by name in variants/registry.c.
 * The common layer (alloc/central.c) wraps every call: it moves the span state word, keeps
 * the per-class counters, parks full spans and returns all-free ones to the mheap, so a
 * variant only implements an *available set* of spans per span class.
 */
#ifndef SL_CENTRAL_H
#define SL_CENTRAL_H

#include "span.h"
#include "spanlab.h"

/* Flags for cache_span. */
#define SL_CACHE_NOGROW 1u /* return NULL instead of growing from the mheap */

typedef struct sl_central_ops {
    const char *name;    /* registry key, [a-z0-9_]+, also the CSV `variant` value */
    const char *summary; /* one line for `slbench --list` */

    /* Per span class (2 .. SL_NUM_SPAN_CLASSES-1; 0 and 1 are large objects and have no
     * mcentral). 0 or a negative errno. Called once at start-up, single-threaded. */
    int (*init)(unsigned spc);
    void (*destroy)(unsigned spc);

    /* Return a span of class spc with >= 1 free slot (after the caller sweeps it), now
     * owned by the caller: the variant takes it out of its available set and stores
     * SL_SPAN_TRANSIT (or CASes AVAILABLE -> TRANSIT when it claims in place). With no
     * span available, call sl_central_grow(spc) -- unless flags has SL_CACHE_NOGROW, then
     * return NULL. NULL otherwise only when memory is exhausted (errno = ENOMEM). */
    sl_span_t *(*cache_span)(unsigned spc, unsigned flags);

    /* Take back a span the caller owned. The span has free slots, or is all free; its
     * state is SL_SPAN_TRANSIT. The variant stores SL_SPAN_AVAILABLE *before* the span
     * becomes reachable by other threads, then publishes it (release). */
    void (*uncache_span)(sl_span_t *s);

    /* A parked (full) span got its first free: the freeing thread won the PARKED ->
     * TRANSIT CAS and hands it here, exactly once. Same duties as uncache_span (may share
     * its code); runs on any thread (_remote). */
    void (*put_available)(sl_span_t *s);

    /* Optional (NULL = none): a thread starts / stops using the allocator. */
    void (*thread_attach)(void);
    void (*thread_detach)(void);

    /* Fill the variant's own counters of class spc into out: spans_available,
     * lock_waits, cas_retries, grace_periods. Other fields belong to the common layer. */
    void (*stats)(unsigned spc, struct sl_central_counters *out);

    /* Optional: fork() support for the variant's locks (called with the mheap lock held). */
    void (*atfork_prepare)(void);
    void (*atfork_parent)(void);
    void (*atfork_child)(void);

    /* Test-only (builds with -DSL_TSAN_CANARY, else NULL): touch the state whose
     * synchronization the canary build removed, with no synchronization at all. */
    void (*canary_touch)(unsigned spc);
} sl_central_ops_t;

/* --- For variants ------------------------------------------------------------------- */

/* A fresh span of class spc from the mheap, state SL_SPAN_TRANSIT, owned by the caller;
 * NULL with errno = ENOMEM. Counts spans_grown. */
sl_span_t *sl_central_grow(unsigned spc);

/* --- For the common layer, tests and the harness's `central` workload ----------------- */

/* The active variant (chosen once by sl_init or $SPANLAB_CENTRAL). */
extern const sl_central_ops_t *sl_central_active;

/* Take a span for cache `owner` (non-zero, unique per cache): calls cache_span, then sets
 * xowner by CAS (a second owner aborts: "span owned by two caches") and state CACHED. */
sl_span_t *sl_central_cache(unsigned spc, uintptr_t owner, unsigned flags);

/* Give back a span owned by `owner`, after sweeping it (folding in every free so far): parks it if
 * full, returns it to the mheap if all free and the class has enough available spans, else calls
 * uncache_span. */
void sl_central_uncache(sl_span_t *s, uintptr_t owner);

/* A free landed in span s (any thread, after the xfree_bits OR): unpark it if it was
 * parked. Exactly one caller wins. */
void sl_central_note_free_remote(sl_span_t *s);

/* Sum of common and variant counters of one class (spc) or of all (spc = -1). */
void sl_central_counters(int spc, struct sl_central_counters *out);

/* The available-set size of class spc as the common counters see it (exact when no
 * operation is in flight); conformance tests compare it with the variant's own count. */
uint64_t sl_central_available_derived(unsigned spc);

/* Drain available spans of every class: all-free ones go back to the mheap. Used by
 * sl_scavenge. */
void sl_central_release_empty(void);

/* Registry (variants/registry.c). */
const sl_central_ops_t *sl_variant_find(const char *name);
const sl_central_ops_t *const *sl_variant_list(void); /* NULL-terminated */

#endif
