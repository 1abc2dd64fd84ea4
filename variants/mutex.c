/* mutex -- Go <= 1.14's mcentral: one pthread_mutex_t per span class over an intrusive
 * doubly-linked list of available spans. The control against which the others compare.
 *
 * Progress:     blocking (a preempted lock holder stalls the class).
 * ABA/reclaim:  none needed: the list is only touched under the lock.
 * Lock order:   the class lock is never held while calling into the mheap
 *               (sl_central_grow runs after unlock), so mutex -> heap never nests.
 * TSan:         clean with no suppression at all.
 * Links used:   span->next / span->prev while AVAILABLE.
 */
#include <errno.h>
#include <pthread.h>

#include "central.h"

struct mutex_central {
    _Alignas(64) pthread_mutex_t lock;
    sl_span_t *head;     /* available spans; under lock */
    uint64_t navailable; /* under lock */
    uint64_t lock_waits; /* under lock */
};

static struct mutex_central centrals[SL_NUM_SPAN_CLASSES];

static void lock_class(struct mutex_central *c) {
    if (pthread_mutex_trylock(&c->lock) != 0) {
        pthread_mutex_lock(&c->lock);
        c->lock_waits++;
    }
}

static int mutex_init(unsigned spc) {
    struct mutex_central *c = &centrals[spc];
    c->head = NULL;
    c->navailable = 0;
    c->lock_waits = 0;
    return -pthread_mutex_init(&c->lock, NULL);
}

static void mutex_destroy(unsigned spc) {
    pthread_mutex_destroy(&centrals[spc].lock);
}

static sl_span_t *mutex_cache_span(unsigned spc, unsigned flags) {
    struct mutex_central *c = &centrals[spc];
    lock_class(c);
    sl_span_t *s = c->head;
    if (s) {
        c->head = s->next;
        if (c->head)
            c->head->prev = NULL;
        c->navailable--;
        atomic_store_explicit(&s->xstate, SL_SPAN_TRANSIT, memory_order_relaxed);
    }
    pthread_mutex_unlock(&c->lock);
    if (!s && !(flags & SL_CACHE_NOGROW))
        s = sl_central_grow(spc);
    return s;
}

static void mutex_uncache_span(sl_span_t *s) {
    struct mutex_central *c = &centrals[s->spanclass];
    lock_class(c);
    atomic_store_explicit(&s->xstate, SL_SPAN_AVAILABLE, memory_order_relaxed);
    s->prev = NULL;
    s->next = c->head;
    if (c->head)
        c->head->prev = s;
    c->head = s;
    c->navailable++;
    pthread_mutex_unlock(&c->lock);
}

static void mutex_stats(unsigned spc, struct sl_central_counters *out) {
    struct mutex_central *c = &centrals[spc];
#ifdef SL_TSAN_CANARY
    /* Canary: the one synchronization removed -- counters read without the lock. */
    out->spans_available = c->navailable;
    out->lock_waits = c->lock_waits;
#else
    pthread_mutex_lock(&c->lock);
    out->spans_available = c->navailable;
    out->lock_waits = c->lock_waits;
    pthread_mutex_unlock(&c->lock);
#endif
}

static void mutex_atfork_prepare(void) {
    for (unsigned spc = 2; spc < SL_NUM_SPAN_CLASSES; spc++)
        pthread_mutex_lock(&centrals[spc].lock);
}

static void mutex_atfork_parent(void) {
    for (unsigned spc = 2; spc < SL_NUM_SPAN_CLASSES; spc++)
        pthread_mutex_unlock(&centrals[spc].lock);
}

static void mutex_atfork_child(void) {
    for (unsigned spc = 2; spc < SL_NUM_SPAN_CLASSES; spc++)
        pthread_mutex_init(&centrals[spc].lock, NULL);
}

#ifdef SL_TSAN_CANARY
/* An observer that reads the list count with no lock while workers change it under the
 * lock: must be reported in mutex.c. */
static void mutex_canary_touch(unsigned spc) {
    volatile uint64_t seen = centrals[spc].navailable;
    (void)seen;
}
#endif

const sl_central_ops_t sl_central_mutex = {
    .name = "mutex",
    .summary = "Go <= 1.14: pthread mutex per span class over an intrusive list (blocking)",
    .init = mutex_init,
    .destroy = mutex_destroy,
    .cache_span = mutex_cache_span,
    .uncache_span = mutex_uncache_span,
    .put_available = mutex_uncache_span,
    .stats = mutex_stats,
    .atfork_prepare = mutex_atfork_prepare,
    .atfork_parent = mutex_atfork_parent,
    .atfork_child = mutex_atfork_child,
#ifdef SL_TSAN_CANARY
    .canary_touch = mutex_canary_touch,
#endif
};
