/* mcache: refill through the span-return policy, flush on thread exit, recycle caches of
 * exited threads. Neighbours: malloc.c (the fast path), policy.h, central.c, tiny.c. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "central.h"
#include "counters.h"
#include "fatal.h"
#include "mcache.h"
#include "os.h"
#include "policy.h"
#include "scavenger.h"
#include "tiny.h"

#define E  &sl_span_empty
#define R8 E, E, E, E, E, E, E, E
sl_mcache_t sl_mcache_empty = {
    .alloc = {R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8, R8},
};
#undef R8
#undef E
_Static_assert(SL_NUM_SPAN_CLASSES == 17 * 8, "sentinel initialiser covers every span class");

__thread sl_mcache_t *sl_tls_mcache = &sl_mcache_empty;

static pthread_key_t mcache_key;
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_mcache_t *free_caches; /* under free_lock */

static void mcache_destructor(void *arg) {
    if (arg && arg == (void *)sl_tls_mcache)
        sl_mcache_flush();
}

int sl_mcache_init(void) {
    return -pthread_key_create(&mcache_key, mcache_destructor);
}

static sl_mcache_t *mcache_create(void) {
    pthread_mutex_lock(&free_lock);
    sl_mcache_t *c = free_caches;
    if (c)
        free_caches = c->next_free;
    pthread_mutex_unlock(&free_lock);
    if (!c && !(c = sl_os_meta_alloc(sizeof *c)))
        return NULL;
    uint64_t gen = c->gen;
    memset(c, 0, sizeof *c);
    /* A new incarnation: spans its earlier thread parked do not come home to us.
     * model home.cc:create_gen */
    c->gen = gen + 1;
    for (unsigned i = 0; i < SL_NUM_SPAN_CLASSES; i++)
        c->alloc[i] = &sl_span_empty;
    sl_tls_mcache = c;
    pthread_setspecific(mcache_key, c);
    if (sl_central_active->thread_attach)
        sl_central_active->thread_attach();
    return c;
}

void *sl_mcache_alloc_slow(unsigned spc, bool *needzero) {
    sl_mcache_t *c = sl_tls_mcache;
    if (c == &sl_mcache_empty && !(c = mcache_create())) {
        errno = ENOMEM;
        return NULL;
    }
    sl_span_t *s = c->alloc[spc];
    unsigned idx;
    if (s != &sl_span_empty) {
        idx = sl_span_next_free_index(s);
        if (idx < s->nelems)
            goto got;
        /* Full: fold in our own and remote frees before asking the policy. */
        sl_counter_bump(spc, SL_CTR_refills);
        if (sl_central_sweep_cached(s) > 0 && (idx = sl_span_next_free_index(s)) < s->nelems)
            goto got;
    }
    c->alloc[spc] = &sl_span_empty; /* while the policy moves spans */
    s = sl_policy_active->refill(c, spc, s);
    if (!s)
        return NULL;
    c->alloc[spc] = s;
    idx = sl_span_next_free_index(s);
    if (idx >= s->nelems)
        sl_fatal("span %p of class %u came from the mcentral without a free slot", (void *)s->base,
                 spc);
    sl_scavenger_start(); /* no-op once running; here no lock is held */
    if (sl_policy_active->start_threads)
        sl_policy_active->start_threads();
got:
    *needzero = s->needzero;
    return sl_span_obj(s, idx);
}

void sl_mcache_flush(void) {
    sl_mcache_t *c = sl_tls_mcache;
    if (c == &sl_mcache_empty)
        return;
    /* From here on, no span goes back to this cache's home. model home.cc:flush_gen */
    c->gen++;
    sl_tiny_release_current(c); /* may free into this cache's own tiny span: first */
    for (unsigned spc = 0; spc < SL_NUM_SPAN_CLASSES; spc++) {
        sl_span_t *s = c->alloc[spc];
        if (s != &sl_span_empty) {
            c->alloc[spc] = &sl_span_empty;
            sl_central_uncache(s, (uintptr_t)c);
        }
    }
    if (sl_policy_active->flush)
        sl_policy_active->flush(c);
    sl_mheap_flush_pagecache(&c->pcache);
    if (sl_central_active->thread_detach)
        sl_central_active->thread_detach();
    if (sl_tls_live_freed) /* sweep policy: this thread's batch of remote frees */
        sl_central_live_flush();
    sl_counters_thread_exit();
    sl_tls_mcache = &sl_mcache_empty;
    pthread_setspecific(mcache_key, NULL);
    pthread_mutex_lock(&free_lock);
    c->next_free = free_caches;
    free_caches = c;
    pthread_mutex_unlock(&free_lock);
}

void sl_mcache_atfork_prepare(void) {
    pthread_mutex_lock(&free_lock);
}

void sl_mcache_atfork_parent(void) {
    pthread_mutex_unlock(&free_lock);
}

void sl_mcache_atfork_child(void) {
    pthread_mutex_init(&free_lock, NULL);
}
