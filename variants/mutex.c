/* mutex -- Go <= 1.14's mcentral: a span set is one pthread_mutex_t over an intrusive
 * singly linked list, used LIFO. The control against which the others compare.
 *
 * Progress:     blocking (a preempted lock holder stalls the set).
 * ABA/reclaim:  none needed: the list is only touched under the lock.
 * Lock order:   the set lock is a leaf: nothing is called while it is held (the mheap is
 *               never entered from a variant), so mutex -> heap never nests.
 * TSan:         clean with no suppression at all.
 * Canary:       -DSL_TSAN_CANARY: count reads the list length without the lock (the
 *               CANARY site); canary_touch reads it under the lock.
 * Links used:   span->next while AVAILABLE.
 */
#include <errno.h>
#include <pthread.h>

#include "central.h"
#include "stall.h"

struct mutex_set {
    _Alignas(64) pthread_mutex_t lock;
    sl_span_t *head;            /* available spans; under lock */
    uint64_t navailable;        /* under lock */
    uint64_t lock_waits;        /* under lock */
    struct mutex_set *next_set; /* every instance, for fork; written by init only */
};

static struct mutex_set *mutex_sets; /* written by init only (start-up, single-threaded) */

static struct mutex_set *mset(sl_spanset_t *set) {
    return (struct mutex_set *)(void *)set;
}

static void lock_set(struct mutex_set *m) {
    if (pthread_mutex_trylock(&m->lock) != 0) {
        pthread_mutex_lock(&m->lock);
        m->lock_waits++;
    }
}

static int mutex_init(sl_spanset_t *set, unsigned spc) {
    (void)spc;
    struct mutex_set *m = mset(set);
    m->head = NULL;
    m->navailable = 0;
    m->lock_waits = 0;
    m->next_set = mutex_sets;
    mutex_sets = m;
    return -pthread_mutex_init(&m->lock, NULL);
}

static void mutex_destroy(sl_spanset_t *set) {
    pthread_mutex_destroy(&mset(set)->lock);
}

static int mutex_push(sl_spanset_t *set, sl_span_t *s) {
    struct mutex_set *m = mset(set);
    lock_set(m);
    SL_STALL_POINT(); /* holding the set lock */
    sl_store_relaxed(&s->xstate, SL_SPAN_AVAILABLE);
    s->next = m->head;
    m->head = s;
    m->navailable++;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

static sl_span_t *mutex_pop(sl_spanset_t *set) {
    struct mutex_set *m = mset(set);
    lock_set(m);
    SL_STALL_POINT(); /* holding the set lock */
    sl_span_t *s = m->head;
    if (s) {
        m->head = s->next;
        m->navailable--;
        sl_store_relaxed(&s->xstate, SL_SPAN_TRANSIT);
    }
    pthread_mutex_unlock(&m->lock);
    return s;
}

static uint64_t mutex_count(sl_spanset_t *set) {
    struct mutex_set *m = mset(set);
#ifdef SL_TSAN_CANARY
    return m->navailable; /* CANARY site: the one synchronization removed */
#else
    pthread_mutex_lock(&m->lock);
    uint64_t n = m->navailable;
    pthread_mutex_unlock(&m->lock);
    return n;
#endif
}

static void mutex_stats(sl_spanset_t *set, struct sl_central_counters *out) {
    struct mutex_set *m = mset(set);
    pthread_mutex_lock(&m->lock);
    out->lock_waits += m->lock_waits;
    pthread_mutex_unlock(&m->lock);
}

static void mutex_atfork_prepare(void) {
    for (struct mutex_set *m = mutex_sets; m; m = m->next_set)
        pthread_mutex_lock(&m->lock);
}

static void mutex_atfork_parent(void) {
    for (struct mutex_set *m = mutex_sets; m; m = m->next_set)
        pthread_mutex_unlock(&m->lock);
}

static void mutex_atfork_child(void) {
    for (struct mutex_set *m = mutex_sets; m; m = m->next_set)
        pthread_mutex_init(&m->lock, NULL);
}

/* Observer: the list length under the lock (races only with the canary's read). */
static void mutex_canary_touch(sl_spanset_t *set) {
    struct mutex_set *m = mset(set);
    lock_set(m);
    volatile uint64_t seen = m->navailable;
    (void)seen;
    pthread_mutex_unlock(&m->lock);
}

const sl_central_ops_t sl_central_mutex = {
    .name = "mutex",
    .summary = "Go <= 1.14: pthread mutex per span set over an intrusive list (blocking)",
    .set_size = sizeof(struct mutex_set),
    .init = mutex_init,
    .destroy = mutex_destroy,
    .push = mutex_push,
    .pop = mutex_pop,
    .count = mutex_count,
    .stats = mutex_stats,
    .atfork_prepare = mutex_atfork_prepare,
    .atfork_parent = mutex_atfork_parent,
    .atfork_child = mutex_atfork_child,
    .canary_touch = mutex_canary_touch,
};
