/* spin -- the mutex variant's intrusive span lists under a Concurrency Kit ticket spinlock.
 *
 * Algorithm: one ck_spinlock_ticket_t per span set guards a singly linked list of spans
 * (s->next), used LIFO so that the most recently returned span, whose lines are
 * still warm, is handed out first. pop takes the head, push links at the head. Nothing
 * else is done under the lock.
 * Why ticket and not MCS: the critical section is a few pointer stores, so the cost is
 * the hand-off of one cache line; a ticket lock is one 32-bit word in the set's own
 * line (no queue node to thread through the ops or to keep alive across the atfork
 * handlers), it is FIFO-fair like MCS, and it has a trylock, which lets us count
 * lock_waits. MCS's local spinning only pays off with many waiters on one set.
 * Progress: blocking. A waiter that is preempted while its ticket comes up stalls every
 * later waiter (the yield after SPIN_YIELD_AFTER spins gives a CPU away, it cannot pass
 * the turn on), so oversubscribed runs show convoys; that is part of what this variant
 * is here to measure against `mutex`.
 * ABA and reclamation: none needed; every list access holds the set lock, and a span
 * leaves the list before any other thread can see it as TRANSIT.
 * Lock order: the set lock is a leaf; nothing is called while it is held (the mheap is
 * never entered from a variant); fork preparation (alloc/init.c) takes every set lock
 * before the mheap lock.
 * TSan: the ticket lock is CK inline asm that TSan cannot see, so lock and unlock carry
 * __tsan_mutex_pre/post_lock and pre/post_unlock annotations (SL_HAVE_TSAN builds).
 * Canary (-DSL_TSAN_CANARY): push bumps navail after dropping the lock (the CANARY
 * site); canary_touch reads navail under the lock.
 */
#include <ck_spinlock.h>
#include <errno.h>
#include <sched.h>
#include <stddef.h>

#include "central.h"
#include "fatal.h"
#include "stall.h"

struct spin_central {
    _Alignas(64) ck_spinlock_ticket_t lock;
    sl_span_t *head; /* spans, LIFO; written and read under lock */
    uint64_t navail; /* spans on the list; written under lock, read under lock by count */
    _Atomic uint64_t xlock_waits;  /* relaxed stats counter, any thread */
    struct spin_central *next_set; /* every instance, for fork; written by init only */
};

_Static_assert(sizeof(struct spin_central) == 64, "one cache line per span set");

static struct spin_central *spin_sets; /* written by init only (start-up, single-threaded) */

static struct spin_central *spin_set(sl_spanset_t *set) {
    return (struct spin_central *)(void *)set;
}

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
    s->next = c->head;
    c->head = s;
}

static sl_span_t *spin_pop_locked(struct spin_central *c) {
    sl_span_t *s = c->head;
    if (s == NULL)
        return NULL;
    c->head = s->next;
    s->next = NULL;
    return s;
}

static int spin_init(sl_spanset_t *set, unsigned spc) {
    (void)spc;
    struct spin_central *c = spin_set(set);
    ck_spinlock_ticket_init(&c->lock);
#ifdef SL_HAVE_TSAN
    __tsan_mutex_create(&c->lock, 0);
#endif
    c->head = NULL;
    c->navail = 0;
    sl_store_relaxed(&c->xlock_waits, 0);
    c->next_set = spin_sets;
    spin_sets = c;
    return 0;
}

static void spin_destroy(sl_spanset_t *set) {
#ifdef SL_HAVE_TSAN
    __tsan_mutex_destroy(&spin_set(set)->lock, 0);
#else
    (void)set;
#endif
}

static sl_span_t *spin_pop(sl_spanset_t *set) {
    struct spin_central *c = spin_set(set);
    spin_lock(c);
    SL_STALL_POINT(); /* holding the ticket */
    sl_span_t *s = spin_pop_locked(c);
    if (s != NULL) {
        c->navail--;
        /* Ordering with the previous owner comes from the lock; the release only
         * publishes the state change to lock-free readers of xstate.
         * pairs with central.c:sl_central_note_free_remote (acquire load of xstate) */
        sl_store_release(&s->xstate, SL_SPAN_TRANSIT);
    }
    spin_unlock(c);
    return s;
}

static int spin_push(sl_spanset_t *set, sl_span_t *s) {
    struct spin_central *c = spin_set(set);
    /* AVAILABLE before the span is reachable: a thread that pops it must never see the
     * previous owner's state. pairs with central.c:sl_central_note_free_remote */
    sl_store_release(&s->xstate, SL_SPAN_AVAILABLE);
    spin_lock(c);
    SL_STALL_POINT(); /* holding the ticket */
    spin_push_locked(c, s);
#ifndef SL_TSAN_CANARY
    c->navail++;
#endif
    spin_unlock(c);
#ifdef SL_TSAN_CANARY
    c->navail++; /* CANARY site: the one update done outside the lock */
#endif
    return 0;
}

static uint64_t spin_count(sl_spanset_t *set) {
    struct spin_central *c = spin_set(set);
    spin_lock(c);
    uint64_t n = c->navail;
    spin_unlock(c);
    return n;
}

static void spin_stats(sl_spanset_t *set, struct sl_central_counters *out) {
    out->lock_waits += sl_load_relaxed(&spin_set(set)->xlock_waits);
}

/* fork(): hold every set lock across the fork so the child never inherits a list
 * half-updated by a thread that does not exist there. Called before the mheap lock is
 * taken (alloc/init.c:fork_prepare). */
static void spin_atfork_prepare(void) {
    for (struct spin_central *c = spin_sets; c; c = c->next_set)
        spin_lock(c);
}

static void spin_atfork_parent(void) {
    for (struct spin_central *c = spin_sets; c; c = c->next_set)
        spin_unlock(c);
}

/* The child must not unlock: a ticket taken before the fork by a thread that exists only
 * in the parent is still counted, and unlocking would serve that ticket -- to nobody. The
 * lists are consistent (we held every lock), so the child starts with fresh locks. */
static void spin_atfork_child(void) {
    for (struct spin_central *c = spin_sets; c; c = c->next_set)
        ck_spinlock_ticket_init(&c->lock);
}

/* Observer: navail under the lock (races only with the canary's unlocked update). */
static void spin_canary_touch(sl_spanset_t *set) {
    struct spin_central *c = spin_set(set);
    spin_lock(c);
    volatile uint64_t *p = &c->navail;
    (void)*p;
    spin_unlock(c);
}

const sl_central_ops_t sl_central_spin = {
    .name = "spin",
    .summary = "intrusive LIFO span list per set under a CK ticket spinlock",
    .set_size = sizeof(struct spin_central),
    .init = spin_init,
    .destroy = spin_destroy,
    .push = spin_push,
    .pop = spin_pop,
    .count = spin_count,
    .thread_attach = NULL,
    .thread_detach = NULL,
    .stats = spin_stats,
    .atfork_prepare = spin_atfork_prepare,
    .atfork_parent = spin_atfork_parent,
    .atfork_child = spin_atfork_child,
    .canary_touch = spin_canary_touch,
};
