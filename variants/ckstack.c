/* ckstack -- one Concurrency Kit Treiber stack of available spans per span class.
 *
 * Algorithm: cache_span pops with ck_stack_trypop_mpmc in a loop, uncache_span and
 * put_available push with ck_stack_trypush_mpmc in a loop (each lost CAS is counted in
 * cas_retries). The stack entry is s->vlink[0]; s->vlink[1] holds the stack the span was
 * pushed to, checked after every pop. The CK calls live in ckstack_ops.c (see there).
 * Progress: lock-free (a CAS fails only because another push or pop succeeded).
 * ABA: pop is a 16-byte CAS on {head, generation}; every successful pop bumps the
 * generation, so a popper holding a stale {head, gen} snapshot fails even if the same
 * span was popped and pushed back meanwhile. Never use ck_stack_batch_pop_mpmc here: in
 * CK 0.7.1 it does not bump the generation and reopens the ABA window.
 * Reclamation: none needed. Span descriptors are type-stable (never unmapped), so the
 * plain read of a stale head's ->next inside trypop reads mapped memory, and its value is
 * discarded when the CAS fails. A popped span is claimed by CAS AVAILABLE -> TRANSIT; a
 * failure means a span was handed out twice and aborts (an ABA detector).
 * The stack head is the first member of a 64-byte aligned struct: cmpxchg16b faults on
 * an address that is 8 mod 16 (ck_stack_t itself is only 8-aligned).
 * Lock order: no locks; sl_central_grow (mheap lock) is called with nothing held.
 * TSan: ck_stack is inline asm TSan cannot see; ckstack_ops.c is built with
 * -fno-sanitize=thread and this file annotates each hand-off: sl_tsan_release(span)
 * before push, sl_tsan_acquire(span) after pop. Clean with no suppressions.
 * Canary (-DSL_TSAN_CANARY): uncache_span skips its sl_tsan_release, and canary_touch
 * reads the head span's vlink[1] stamp with no synchronization.
 */
#include <errno.h>
#include <stddef.h>

#include "central.h"
#include "ckstack_ops.h"
#include "fatal.h"

_Static_assert(sizeof(ck_stack_entry_t) <= sizeof(((sl_span_t *)0)->vlink[0]),
               "ck_stack_entry_t fits in vlink[0]");
_Static_assert(offsetof(sl_span_t, vlink) % _Alignof(ck_stack_entry_t) == 0,
               "vlink[0] is aligned for a ck_stack_entry_t");

struct ckstack_central {
    /* INVARIANT: 16-byte aligned (cmpxchg16b). Touched only through ckstack_ops.c. */
    _Alignas(64) ck_stack_t stack;
    /* Spans pushed and not yet popped: incremented before push, decremented after pop,
     * so it never underflows; exact at quiescence. Relaxed, any thread. */
    _Atomic uint64_t xavail;
    _Atomic uint64_t xcas_retries; /* relaxed stats counter, any thread */
};

_Static_assert(offsetof(struct ckstack_central, stack) % 16 == 0, "stack head 16-aligned");
_Static_assert(sizeof(struct ckstack_central) == 64, "one cache line per span class");

static struct ckstack_central ckstack_centrals[SL_NUM_SPAN_CLASSES];

static ck_stack_entry_t *ckstack_entry(sl_span_t *s) {
    return (ck_stack_entry_t *)(void *)&s->vlink[0];
}

static sl_span_t *ckstack_span(ck_stack_entry_t *e) {
    return (sl_span_t *)(void *)((char *)e - offsetof(sl_span_t, vlink));
}

static int ckstack_init(unsigned spc) {
    if (spc >= SL_NUM_SPAN_CLASSES)
        return -EINVAL;
    struct ckstack_central *c = &ckstack_centrals[spc];
    if (((uintptr_t)&c->stack & 15) != 0)
        return -EINVAL;
    sl_ckstack_ops_init(&c->stack);
    sl_store_relaxed(&c->xavail, 0);
    sl_store_relaxed(&c->xcas_retries, 0);
    return 0;
}

static void ckstack_destroy(unsigned spc) {
    (void)spc;
}

static sl_span_t *ckstack_pop(struct ckstack_central *c) {
    ck_stack_entry_t *e;
    for (;;) {
        int r = sl_ckstack_ops_trypop(&c->stack, &e);
        if (r > 0)
            break;
        if (r == 0)
            return NULL;
        sl_count(&c->xcas_retries);
        sl_cpu_relax();
    }
    sl_span_t *s = ckstack_span(e);
    /* The stack's CAS orders us after the pusher, but TSan cannot see it.
     * pairs with ckstack.c:ckstack_push (sl_tsan_release before the push) */
    sl_tsan_acquire(s);
    return s;
}

static void ckstack_push(struct ckstack_central *c, sl_span_t *s, bool annotate) {
    s->vlink[1] = c; /* read back in ckstack_cache_span after the pop */
    /* Everything the previous owner wrote happens before the next popper's reads.
     * pairs with ckstack.c:ckstack_pop (sl_tsan_acquire after the pop) */
    if (annotate)
        sl_tsan_release(s);
    sl_count(&c->xavail);
    while (!sl_ckstack_ops_trypush(&c->stack, ckstack_entry(s))) {
        sl_count(&c->xcas_retries);
        sl_cpu_relax();
    }
}

static sl_span_t *ckstack_cache_span(unsigned spc, unsigned flags) {
    struct ckstack_central *c = &ckstack_centrals[spc];
    sl_span_t *s = ckstack_pop(c);
    if (s == NULL) {
        if (flags & SL_CACHE_NOGROW)
            return NULL;
        return sl_central_grow(spc);
    }
    sl_fas_relaxed(&c->xavail, 1);
    if (s->vlink[1] != (void *)c)
        sl_fatal("ckstack: span %p popped from class %u was pushed elsewhere (%p)", (void *)s, spc,
                 s->vlink[1]);
    /* Claim it. Only a span handed out twice (a lost ABA defence) can fail here.
     * pairs with ckstack.c:ckstack_insert (release store of AVAILABLE) */
    uint32_t want = SL_SPAN_AVAILABLE;
    if (!sl_cas_acq_rel(&s->xstate, &want, SL_SPAN_TRANSIT))
        sl_fatal("ckstack: popped span %p in state %u, not AVAILABLE (popped twice?)", (void *)s,
                 (unsigned)want);
    return s;
}

/* Shared by uncache_span and put_available: the span is TRANSIT and ours. */
static void ckstack_insert(sl_span_t *s, bool annotate) {
    /* AVAILABLE before the span is reachable.
     * pairs with ckstack.c:ckstack_cache_span (the claiming CAS) and
     * central.c:sl_central_note_free_remote (acquire load of xstate) */
    sl_store_release(&s->xstate, SL_SPAN_AVAILABLE);
    ckstack_push(&ckstack_centrals[s->spanclass], s, annotate);
}

static void ckstack_uncache_span(sl_span_t *s) {
#ifdef SL_TSAN_CANARY
    ckstack_insert(s, false); /* CANARY: the hand-off annotation is left out here */
#else
    ckstack_insert(s, true);
#endif
}

static void ckstack_put_available(sl_span_t *s) {
    ckstack_insert(s, true);
}

static void ckstack_stats(unsigned spc, struct sl_central_counters *out) {
    struct ckstack_central *c = &ckstack_centrals[spc];
    out->spans_available = sl_load_relaxed(&c->xavail);
    out->lock_waits = 0;
    out->cas_retries = sl_load_relaxed(&c->xcas_retries);
    out->grace_periods = 0;
}

#ifdef SL_TSAN_CANARY
/* Observer for the TSan canary: reads the stamp of the span at the head with no
 * synchronization, racing with the plain stamp store in ckstack_push. */
static void ckstack_canary_touch(unsigned spc) {
    ck_stack_entry_t *e = sl_ckstack_ops_peek(&ckstack_centrals[spc].stack);
    if (e != NULL) {
        void *volatile *p = &ckstack_span(e)->vlink[1];
        (void)*p;
    }
}
#endif

const sl_central_ops_t sl_central_ckstack = {
    .name = "ckstack",
    .summary = "CK Treiber stack per class (ck_stack MPMC pop, generation counter vs ABA)",
    .init = ckstack_init,
    .destroy = ckstack_destroy,
    .cache_span = ckstack_cache_span,
    .uncache_span = ckstack_uncache_span,
    .put_available = ckstack_put_available,
    .thread_attach = NULL,
    .thread_detach = NULL,
    .stats = ckstack_stats,
    .atfork_prepare = NULL,
    .atfork_parent = NULL,
    .atfork_child = NULL,
#ifdef SL_TSAN_CANARY
    .canary_touch = ckstack_canary_touch,
#else
    .canary_touch = NULL,
#endif
};
