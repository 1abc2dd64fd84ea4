/* spin -- the mutex variant's intrusive span lists under a Concurrency Kit ticket spinlock.
 *
 * Algorithm: one ck_spinlock_ticket_t per span class guards a doubly linked list of
 * available spans (s->next / s->prev), used LIFO so that the most recently returned span,
 * whose lines are still warm, is handed out first. cache_span pops the head,
 * uncache_span / put_available push at the head. Nothing else is done under the lock.
 * Why ticket and not MCS: the critical section is a few pointer stores, so the cost is
 * the hand-off of one cache line; a ticket lock is one 32-bit word in the class's own
 * line (no queue node to thread through the ops or to keep alive across the atfork
 * handlers), it is FIFO-fair like MCS, and it has a trylock, which lets us count
 * lock_waits. MCS's local spinning only pays off with many waiters on one class.
 * Progress: blocking. A waiter that is preempted while its ticket comes up stalls every
 * later waiter (no yield in the wait loop), so oversubscribed runs show convoys; that is
 * part of what this variant is here to measure against `mutex`.
 * ABA and reclamation: none needed; every list access holds the class lock, and a span
 * leaves the list before any other thread can see it as TRANSIT.
 * Lock order: the class lock is a leaf. It is never held while calling into the mheap
 * (cache_span drops it before sl_central_grow); fork preparation (alloc/init.c) takes
 * every class lock before the mheap lock.
 * TSan: the ticket lock is CK inline asm that TSan cannot see, so lock and unlock carry
 * __tsan_mutex_pre/post_lock and pre/post_unlock annotations (SL_HAVE_TSAN builds).
 * Canary (-DSL_TSAN_CANARY): uncache_span bumps navail after dropping the lock, and
 * canary_touch reads navail with no lock at all.
 */
#include <ck_spinlock.h>
#include <errno.h>
#include <sched.h>
#include <stddef.h>

#include "central.h"
#include "fatal.h"

struct spin_central {
    _Alignas(64) ck_spinlock_ticket_t lock;
    sl_span_t *head; /* available spans, LIFO; written and read under lock */
    uint64_t navail; /* spans on the list; written under lock, read under lock by stats */
    _Atomic uint64_t xlock_waits; /* relaxed stats counter, any thread */
};

_Static_assert(sizeof(struct spin_central) == 64, "one cache line per span class");

static struct spin_central spin_centrals[SL_NUM_SPAN_CLASSES];

/* The slow path of ck_spinlock_ticket_lock with a yield in its wait loop. CK 0.7.1 on
 * x86_64 keeps the ticket being served in the low 16 bits of `value` and the next ticket
 * in the high 16 (the layout behind ck_spinlock_ticket_trylock). Once a waiter has
 * spun SPIN_YIELD_AFTER times it yields, so that with more threads than cores a
 * preempted waiter whose turn has come gets a CPU quickly. */
_Static_assert(sizeof(ck_spinlock_ticket_t) == sizeof(uint32_t), "CK 0.7.1 x86_64 layout");
#define SPIN_TICKET_NEXT (UINT32_C(1) << 16)
#define SPIN_YIELD_AFTER 256

static void spin_lock_wait(ck_spinlock_ticket_t *l) {
    uint16_t mine = (uint16_t)(ck_pr_faa_32(&l->value, SPIN_TICKET_NEXT) >> 16);
    unsigned spins = 0;
    while ((uint16_t)ck_pr_load_32(&l->value) != mine) {
        if (++spins < SPIN_YIELD_AFTER) {
            ck_pr_stall();
        } else {
            sched_yield();
            spins = 0;
        }
    }
    ck_pr_fence_lock();
}

static void spin_lock(struct spin_central *c) {
#ifdef SL_HAVE_TSAN
    __tsan_mutex_pre_lock(&c->lock, 0);
#endif
    if (!ck_spinlock_ticket_trylock(&c->lock)) {
        sl_count(&c->xlock_waits);
        spin_lock_wait(&c->lock);
    }
#ifdef SL_HAVE_TSAN
    __tsan_mutex_post_lock(&c->lock, 0, 0);
#endif
}

static void spin_unlock(struct spin_central *c) {
#ifdef SL_HAVE_TSAN
    __tsan_mutex_pre_unlock(&c->lock, 0);
#endif
    ck_spinlock_ticket_unlock(&c->lock);
#ifdef SL_HAVE_TSAN
    __tsan_mutex_post_unlock(&c->lock, 0);
#endif
}

static void spin_push_locked(struct spin_central *c, sl_span_t *s) {
    s->prev = NULL;
    s->next = c->head;
    if (c->head != NULL)
        c->head->prev = s;
    c->head = s;
}

static sl_span_t *spin_pop_locked(struct spin_central *c) {
    sl_span_t *s = c->head;
    if (s == NULL)
        return NULL;
    c->head = s->next;
    if (c->head != NULL)
        c->head->prev = NULL;
    s->next = s->prev = NULL;
    return s;
}

static int spin_init(unsigned spc) {
    if (spc >= SL_NUM_SPAN_CLASSES)
        return -EINVAL;
    struct spin_central *c = &spin_centrals[spc];
    ck_spinlock_ticket_init(&c->lock);
#ifdef SL_HAVE_TSAN
    __tsan_mutex_create(&c->lock, 0);
#endif
    c->head = NULL;
    c->navail = 0;
    sl_store_relaxed(&c->xlock_waits, 0);
    return 0;
}

static void spin_destroy(unsigned spc) {
#ifdef SL_HAVE_TSAN
    __tsan_mutex_destroy(&spin_centrals[spc].lock, 0);
#else
    (void)spc;
#endif
}

static sl_span_t *spin_cache_span(unsigned spc, unsigned flags) {
    struct spin_central *c = &spin_centrals[spc];
    spin_lock(c);
    sl_span_t *s = spin_pop_locked(c);
    if (s != NULL) {
        c->navail--;
        /* Ordering with the previous owner comes from the lock; the release only
         * publishes the state change to lock-free readers of xstate.
         * pairs with central.c:sl_central_note_free_remote (acquire load of xstate) */
        sl_store_release(&s->xstate, SL_SPAN_TRANSIT);
    }
    spin_unlock(c);
    if (s != NULL)
        return s;
    if (flags & SL_CACHE_NOGROW)
        return NULL;
    return sl_central_grow(spc); /* class lock not held: mheap lock -> class lock only */
}

/* Shared by uncache_span and put_available: the span is TRANSIT and ours. */
static void spin_insert(sl_span_t *s) {
    struct spin_central *c = &spin_centrals[s->spanclass];
    /* AVAILABLE before the span is reachable: a thread that pops it must never see the
     * previous owner's state. pairs with central.c:sl_central_note_free_remote */
    sl_store_release(&s->xstate, SL_SPAN_AVAILABLE);
    spin_lock(c);
    spin_push_locked(c, s);
#ifndef SL_TSAN_CANARY
    c->navail++;
#endif
    spin_unlock(c);
#ifdef SL_TSAN_CANARY
    c->navail++; /* CANARY: the one update done outside the lock */
#endif
}

static void spin_uncache_span(sl_span_t *s) {
    spin_insert(s);
}

static void spin_put_available(sl_span_t *s) {
    spin_insert(s);
}

static void spin_stats(unsigned spc, struct sl_central_counters *out) {
    struct spin_central *c = &spin_centrals[spc];
    spin_lock(c);
    out->spans_available = c->navail;
    spin_unlock(c);
    out->lock_waits = sl_load_relaxed(&c->xlock_waits);
    out->cas_retries = 0;
    out->grace_periods = 0;
}

/* fork(): hold every class lock across the fork so the child never inherits a list
 * half-updated by a thread that does not exist there. Called before the mheap lock is
 * taken (alloc/init.c:fork_prepare). */
static void spin_atfork_prepare(void) {
    for (unsigned spc = 2; spc < SL_NUM_SPAN_CLASSES; spc++)
        spin_lock(&spin_centrals[spc]);
}

static void spin_atfork_parent(void) {
    for (unsigned spc = SL_NUM_SPAN_CLASSES; spc-- > 2;)
        spin_unlock(&spin_centrals[spc]);
}

/* The child must not unlock: a ticket taken before the fork by a thread that exists only
 * in the parent is still counted, and unlocking would serve that ticket -- to nobody. The
 * lists are consistent (we held every lock), so the child starts with fresh locks. */
static void spin_atfork_child(void) {
    for (unsigned spc = 2; spc < SL_NUM_SPAN_CLASSES; spc++)
        ck_spinlock_ticket_init(&spin_centrals[spc].lock);
}

#ifdef SL_TSAN_CANARY
/* Observer for the TSan canary: reads navail with no lock, racing with every locked
 * update in spin_insert / spin_cache_span. */
static void spin_canary_touch(unsigned spc) {
    volatile uint64_t *p = &spin_centrals[spc].navail;
    (void)*p;
}
#endif

const sl_central_ops_t sl_central_spin = {
    .name = "spin",
    .summary = "intrusive LIFO span list per class under a CK ticket spinlock",
    .init = spin_init,
    .destroy = spin_destroy,
    .cache_span = spin_cache_span,
    .uncache_span = spin_uncache_span,
    .put_available = spin_put_available,
    .thread_attach = NULL,
    .thread_detach = NULL,
    .stats = spin_stats,
    .atfork_prepare = spin_atfork_prepare,
    .atfork_parent = spin_atfork_parent,
    .atfork_child = spin_atfork_child,
#ifdef SL_TSAN_CANARY
    .canary_touch = spin_canary_touch,
#else
    .canary_touch = NULL,
#endif
};
