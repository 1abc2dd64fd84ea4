/* ckstack -- a span set is one Concurrency Kit Treiber stack.
 *
 * Algorithm: pop calls ck_stack_trypop_mpmc in a loop, push calls ck_stack_trypush_mpmc
 * in a loop (each lost CAS is counted in cas_retries). The stack entry is s->vlink[0];
 * s->vlink[1] holds the set the span was pushed to, checked after every pop. The CK
 * calls live in ckstack_ops.c (see there).
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
 * Lock order: no locks; the mheap is never entered from a variant.
 * TSan: ck_stack is inline asm TSan cannot see; ckstack_ops.c is built with
 * -fno-sanitize=thread and this file annotates each hand-off: sl_tsan_release(span)
 * before push, sl_tsan_acquire(span) after pop. Clean with no suppressions.
 * Canary (-DSL_TSAN_CANARY): push skips its sl_tsan_release; what it orders is the
 * vlink[1] stamp, written after the release store of AVAILABLE and read before the
 * claiming CAS (the two CANARY sites). canary_touch pops a span and pushes it back.
 */
#include <errno.h>
#include <stddef.h>

#include "central.h"
#include "ckstack_ops.h"
#include "fatal.h"
#include "stall.h"

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
_Static_assert(sizeof(struct ckstack_central) == 64, "one cache line per span set");

static struct ckstack_central *ckstack_set(sl_spanset_t *set) {
    return (struct ckstack_central *)(void *)set;
}

static ck_stack_entry_t *ckstack_entry(sl_span_t *s) {
    return (ck_stack_entry_t *)(void *)&s->vlink[0];
}

static sl_span_t *ckstack_span(ck_stack_entry_t *e) {
    return (sl_span_t *)(void *)((char *)e - offsetof(sl_span_t, vlink));
}

static int ckstack_init(sl_spanset_t *set, unsigned spc) {
    (void)spc;
    struct ckstack_central *c = ckstack_set(set);
    if (((uintptr_t)&c->stack & 15) != 0)
        return -EINVAL;
    sl_ckstack_ops_init(&c->stack);
    sl_store_relaxed(&c->xavail, 0);
    sl_store_relaxed(&c->xcas_retries, 0);
    return 0;
}

static void ckstack_destroy(sl_spanset_t *set) {
    (void)set;
}

static sl_span_t *ckstack_take(struct ckstack_central *c) {
    ck_stack_entry_t *e;
    for (;;) {
        /* Right before the trypop (its head load and CAS are one CK inline function). */
        SL_STALL_POINT();
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
     * pairs with ckstack.c:ckstack_put (sl_tsan_release before the push).
     * model ckstack.cc:pop_acquire */
    sl_tsan_acquire(s);
    return s;
}

static void ckstack_put(struct ckstack_central *c, sl_span_t *s, bool annotate) {
    s->vlink[1] = c; /* read back in ckstack_pop; CANARY site */
    /* Everything the previous owner wrote happens before the next popper's reads.
     * pairs with ckstack.c:ckstack_take (sl_tsan_acquire after the pop).
     * model ckstack.cc:push_release */
    if (annotate)
        sl_tsan_release(s);
    sl_count(&c->xavail);
    for (;;) {
        SL_STALL_POINT(); /* right before the trypush (head load, then CAS) */
        if (sl_ckstack_ops_trypush(&c->stack, ckstack_entry(s)))
            break;
        sl_count(&c->xcas_retries);
        sl_cpu_relax();
    }
}

static sl_span_t *ckstack_pop(sl_spanset_t *set) {
    struct ckstack_central *c = ckstack_set(set);
    sl_span_t *s = ckstack_take(c);
    if (s == NULL)
        return NULL;
    sl_fetch_sub_relaxed(&c->xavail, 1);
    if (s->vlink[1] != (void *)c) /* CANARY site */
        sl_fatal("ckstack: span %p popped from set %p was pushed elsewhere (%p)", (void *)s,
                 (void *)c, s->vlink[1]);
    /* Claim it. Only a span handed out twice (a lost ABA defence) can fail here.
     * pairs with ckstack.c:ckstack_push (release store of AVAILABLE) */
    uint32_t want = SL_SPAN_AVAILABLE;
    /* model ckstack.cc:claim_cas */
    if (!sl_cas_acq_rel(&s->xstate, &want, SL_SPAN_TRANSIT))
        sl_fatal("ckstack: popped span %p in state %u, not AVAILABLE (popped twice?)", (void *)s,
                 (unsigned)want);
    return s;
}

static int ckstack_push(sl_spanset_t *set, sl_span_t *s) {
    /* AVAILABLE before the span is reachable.
     * pairs with ckstack.c:ckstack_pop (the claiming CAS) and
     * central.c:sl_central_note_free_remote (acquire load of xstate).
     * model ckstack.cc:insert_store */
    sl_store_release(&s->xstate, SL_SPAN_AVAILABLE);
#ifdef SL_TSAN_CANARY
    ckstack_put(ckstack_set(set), s, false); /* CANARY: the hand-off annotation left out */
#else
    ckstack_put(ckstack_set(set), s, true);
#endif
    return 0;
}

static uint64_t ckstack_count(sl_spanset_t *set) {
    return sl_load_relaxed(&ckstack_set(set)->xavail);
}

static void ckstack_stats(sl_spanset_t *set, struct sl_central_counters *out) {
    out->cas_retries += sl_load_relaxed(&ckstack_set(set)->xcas_retries);
}

/* Observer: one more popper and pusher, through the annotated hand-off. */
static void ckstack_canary_touch(sl_spanset_t *set) {
    sl_span_t *s = ckstack_pop(set);
    if (s != NULL)
        ckstack_push(set, s);
}

const sl_central_ops_t sl_central_ckstack = {
    .name = "ckstack",
    .summary = "CK Treiber stack per set (ck_stack MPMC pop, generation counter vs ABA)",
    .set_size = sizeof(struct ckstack_central),
    .init = ckstack_init,
    .destroy = ckstack_destroy,
    .push = ckstack_push,
    .pop = ckstack_pop,
    .count = ckstack_count,
    .thread_attach = NULL,
    .thread_detach = NULL,
    .stats = ckstack_stats,
    .atfork_prepare = NULL,
    .atfork_parent = NULL,
    .atfork_child = NULL,
    .canary_touch = ckstack_canary_touch,
};
