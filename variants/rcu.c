/* rcu -- a span set is a liburcu (urcu-memb) RCU list of spans.
 *
 * Algorithm:    each set keeps a doubly-linked list of spans (links in vlink[], see below).
 *               pop walks it inside rcu_read_lock and claims the first AVAILABLE span in
 *               place by CAS on xstate (AVAILABLE -> TRANSIT); it takes no lock. A claimed
 *               span stays physically linked (a "dead" entry) until a writer prunes it; if it
 *               is pushed to the same set while still linked, push revives it in place
 *               (store AVAILABLE, no relink, no grace period). Inserts, revives and unlinks
 *               take the set's writer mutex. An unlinked span goes to the set's limbo
 *               list; its list link may be reused only after a grace period.
 * Grace period: synchronize_rcu, batched: one reclaim pass detaches every set's limbo list,
 *               waits once, then frees the links of each span (or relinks it where a giver is
 *               waiting). Not call_rcu: call_rcu allocates (call_rcu_data, a worker thread via
 *               pthread_create) and this library is the malloc; its callbacks would run on a
 *               thread we do not control, taking our locks, and liburcu 0.13 never tears that
 *               worker down. synchronize_rcu allocates nothing. It runs only with no set
 *               lock held, never inside a read-side section, and only when some span handed
 *               back is waiting for it: RCU_WANT_BATCH of them, or a pop that found
 *               nothing else.
 *               A span waits only if its links were in limbo (pruned or recycled
 *               descriptor); revived spans and fresh links never wait.
 * Membership:   span->vword says which list owns the span's links: FREE, LISTED(set) or
 *               LIMBO(set), plus WANT(set) when a giver pushed the span while its links were
 *               still in limbo (sets are numbered at init). A descriptor may leave for the
 *               mheap and come back in another class, or be pushed to another set, while
 *               still linked or in limbo here (claim does not unlink): its links then stay
 *               with the old list until the grace period, and the new set gets the span
 *               afterwards. INVARIANT: xstate is AVAILABLE only while the span is LISTED in
 *               the list of the set it was pushed to, so a reader that reaches a span through
 *               set c's list and wins the CAS owns a span pushed to c.
 * Progress:     pop is lock-free against other readers (a CAS that fails means another
 *               reader won); it blocks only when nothing is available and spans are
 *               waiting for a grace period. push is blocking (writer lock).
 * ABA/reclaim:  no ABA on the claim: AVAILABLE -> TRANSIT is won by one thread, and a span
 *               that comes back AVAILABLE is legitimately available again. Links of unlinked
 *               spans are reused only after synchronize_rcu; descriptors are type-stable and
 *               the mheap never touches vlink/vword, so a reader may follow a stale one.
 * Lock order:   reclaim_lock -> set lock; two set locks are never held together; no set
 *               lock is held while calling liburcu; the mheap is never entered from a
 *               variant. Readers hold no lock.
 * Threads:      thread_attach registers with urcu; pop registers an unattached
 *               caller lazily; a pthread key destructor and thread_detach unregister. After
 *               thread_detach (or the destructor) a thread uses the locked path: the list
 *               walked under the set lock. The child of a fork uses only the locked path
 *               (the parent's readers are in urcu's registry but do not exist).
 * TSan:         _LGPL_SOURCE + tsan_urcu_shim.h (liburcu's inline shared accesses as
 *               __atomic), readers sl_tsan_release(&rcu_gp_sync) before rcu_read_unlock and
 *               the reclaimer sl_tsan_acquire(&rcu_gp_sync) after synchronize_rcu. The
 *               checked executables link liburcu statically, so
 *               `called_from_lib:liburcu-memb.so` would match nothing; none is needed: we
 *               never call call_rcu or rcu_barrier (the source of the reports that
 *               suppression hid), and the library's own accesses are uninstrumented, so TSan
 *               does not see them.
 * Canary:       -DSL_TSAN_CANARY: push links a FREE span without the writer lock; the
 *               accesses of link_head_locked it leaves unlocked are the CANARY sites.
 *               canary_touch reads the set's nlinked under the lock.
 * Links used:   vlink[0] list next (readers follow it), vlink[1] list prev (writer only),
 *               vlink[2] limbo / reclaim batch link (writer only), vword membership.
 *               span->next/prev are not used.
 */
#define _LGPL_SOURCE 1

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "atomic.h"
#ifdef SL_HAVE_TSAN
#include "tsan_urcu_shim.h"
#endif
#include <urcu/urcu-memb.h>

#include "central.h"
#include "fatal.h"
#include "rcu_test.h"

enum { RCU_NEXT = 0, RCU_PREV = 1, RCU_LIMBO = 2 };

/* A reader that skipped this many claimed (dead) entries prunes the list if the lock is free. */
#define RCU_PRUNE_DEAD 32
/* Spans waiting for a grace period (all sets) before a giver runs reclaim itself. */
#define RCU_WANT_BATCH 32
/* Walks retried when every available span seen was claimed under our feet. */
#define RCU_WALK_RETRIES 4

/* Sets are numbered at init; the number fits vword's 16-bit fields. */
#define RCU_MAX_SETS (SL_NUM_SPAN_CLASSES * SL_CENTRAL_MAX_SETS)
_Static_assert(RCU_MAX_SETS <= 0xffff, "set numbers fit vword");

/* vword: bits 0-1 link state, 8-23 its set, bit 32 WANT, 40-55 the wanted set. */
#define VW_STATE(v) ((unsigned)((v)&3u))
#define VW_SET(v)   ((unsigned)(((v) >> 8) & 0xffffu))
#define VW_WANT     ((uint64_t)1 << 32)
#define VW_WSET(v)  ((unsigned)(((v) >> 40) & 0xffffu))

static inline uint64_t vw_make(unsigned state, unsigned id) {
    return (uint64_t)state | (uint64_t)id << 8;
}

static inline uint64_t vw_want(unsigned id) {
    return VW_WANT | (uint64_t)id << 40;
}

struct rcu_set {
    /* The writer lock: every change of the list, the limbo list and of a LISTED(this set)
     * span's vword happens under it. Readers never take it. */
    _Alignas(64) pthread_mutex_t lock;
    /* First span of the list. Written with rcu_assign_pointer under lock; read by readers
     * with rcu_dereference and by writers under lock. */
    sl_span_t *head;
    sl_span_t *limbo;        /* unlinked, waiting for a grace period; under lock, via vlink[2] */
    uint32_t nlinked;        /* spans on the list (available or dead); under lock */
    uint32_t nlimbo;         /* under lock */
    unsigned id;             /* this set's number in rcu_sets; immutable after init */
    _Atomic uint64_t xlimbo; /* nlimbo for lock-free peeking by reclaim (relaxed hint) */
    /* Stats and hints, relaxed: never used for synchronization. */
    _Atomic uint64_t xavail; /* LISTED spans in state AVAILABLE */
    _Atomic uint64_t xwant;  /* spans pushed to this set, waiting for a grace period */
    _Atomic uint64_t xlock_waits;
    _Atomic uint64_t xcas_retries;
    _Atomic uint64_t xgrace_periods;
};

/* Every set by number; written by init only (start-up, single-threaded). */
static struct rcu_set *rcu_sets[RCU_MAX_SETS];
static unsigned rcu_nsets;

static struct rcu_set *rset(sl_spanset_t *set) {
    return (struct rcu_set *)(void *)set;
}

/* Serialises reclaim passes: a detached batch lives only on the reclaimer's stack. */
static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t xwants_total; /* sum of xwant (relaxed trigger for reclaim) */
static _Atomic int xlocked_mode;      /* set in a fork child: no RCU readers, no grace periods */
static char rcu_gp_sync;              /* TSan annotation address for grace periods */

static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_key;
static int rcu_key_err;

/* This thread and urcu: 0 never registered, 1 registered, 2 done (use the locked path). */
enum { TLS_NEW = 0, TLS_READER = 1, TLS_DONE = 2 };
static __thread unsigned char rcu_tls;

static void lock_set(struct rcu_set *c) {
    if (pthread_mutex_trylock(&c->lock) != 0) {
        sl_count(&c->xlock_waits);
        pthread_mutex_lock(&c->lock);
    }
}

static void unlock_set(struct rcu_set *c) {
    pthread_mutex_unlock(&c->lock);
}

/* --- thread registration -------------------------------------------------------------- */

static void reader_leave(void) {
    if (rcu_tls == TLS_READER)
        urcu_memb_unregister_thread();
    rcu_tls = TLS_DONE;
}

static void rcu_key_destructor(void *arg) {
    (void)arg;
    reader_leave();
}

static void rcu_once_init(void) {
    rcu_key_err = pthread_key_create(&rcu_key, rcu_key_destructor);
}

/* True when this thread may use the RCU read side; registers it on first use. Registration
 * takes urcu's registry mutex and does not allocate (urcu 0.13 urcu.c:register_thread). */
static bool reader_ready(void) {
    if (rcu_tls == TLS_READER)
        return !sl_load_relaxed(&xlocked_mode);
    if (rcu_tls == TLS_DONE || sl_load_relaxed(&xlocked_mode) || rcu_key_err)
        return false;
    urcu_memb_register_thread();
    rcu_tls = TLS_READER;
    /* Non-NULL so that the destructor runs at thread exit; key index < 32 never allocates. */
    pthread_setspecific(rcu_key, &rcu_tls);
    return true;
}

static void rcu_thread_attach(void) {
    if (rcu_tls == TLS_DONE)
        rcu_tls = TLS_NEW; /* a thread that flushed early and allocates again */
    (void)reader_ready();
}

static void rcu_thread_detach(void) {
    reader_leave();
}

/* --- list operations (writer side) ------------------------------------------------------ */

/* Make a LISTED span claimable. */
static void publish_locked(struct rcu_set *c, sl_span_t *s) {
    sl_faa_relaxed(&c->xavail, 1);
    /* Release: the giver's writes to the span (its sweep, the mheap's init) are visible to
     * the reader that claims it. pairs with rcu.c:try_claim. model rcu.cc:publish_store */
    sl_store_release(&s->xstate, SL_SPAN_AVAILABLE);
}

/* Link a span whose links are FREE (or were ours after a grace period) at the head. */
static void link_head_locked(struct rcu_set *c, sl_span_t *s) {
    sl_span_t *h = c->head; /* CANARY site */
    s->vlink[RCU_PREV] = NULL;
    rcu_assign_pointer(s->vlink[RCU_NEXT], (void *)h);
    if (h)
        h->vlink[RCU_PREV] = s; /* CANARY site */
    sl_store_release(&s->vword, vw_make(SL_RCU_LINK_LISTED, c->id));
    c->nlinked++; /* CANARY site */
    publish_locked(c, s);
    /* Release (cmm_wmb + store): a reader that finds s through head sees its next link and
     * its AVAILABLE state. pairs with rcu.c:claim_rcu (rcu_dereference).
     * model rcu.cc:head_assign */
    rcu_assign_pointer(c->head, s); /* CANARY site */
}

/* Unlink s (LISTED here, not available) into limbo. Its next link stays intact for readers
 * still standing on it; it is reused only after a grace period (rcu.c:reclaim). */
static void unlink_locked(struct rcu_set *c, sl_span_t *s, uint64_t want) {
    sl_span_t *nx = s->vlink[RCU_NEXT], *pv = s->vlink[RCU_PREV];
    if (pv)
        rcu_assign_pointer(pv->vlink[RCU_NEXT], (void *)nx);
    else
        rcu_assign_pointer(c->head, nx);
    if (nx)
        nx->vlink[RCU_PREV] = pv;
    c->nlinked--;
    sl_store_release(&s->vword, vw_make(SL_RCU_LINK_LIMBO, c->id) | want);
    s->vlink[RCU_LIMBO] = c->limbo;
    c->limbo = s;
    c->nlimbo++;
    sl_store_relaxed(&c->xlimbo, c->nlimbo);
}

/* Unlink every entry that is not AVAILABLE. A LISTED span becomes AVAILABLE only under
 * this lock (publish_locked), so an entry seen claimed here stays not-available. */
static unsigned prune_locked(struct rcu_set *c) {
    unsigned n = 0;
    for (sl_span_t *s = c->head, *nx; s; s = nx) {
        nx = s->vlink[RCU_NEXT];
        if (sl_load_relaxed(&s->xstate) != SL_SPAN_AVAILABLE) {
            unlink_locked(c, s, 0);
            n++;
        }
    }
    return n;
}

/* --- grace periods ------------------------------------------------------------------- */

/* After the grace period: the span's links are ours again. Relink it where a giver is
 * waiting, else mark them FREE. */
static void finish_limbo(sl_span_t *s) {
    uint64_t v = sl_load_acquire(&s->vword);
    for (;;) {
        if (v & VW_WANT) {
            /* The giver handed the span over with WANT; nobody else touches vword now. */
            struct rcu_set *cw = rcu_sets[VW_WSET(v)];
            lock_set(cw);
            link_head_locked(cw, s);
            unlock_set(cw);
            sl_fas_relaxed(&cw->xwant, 1);
            sl_fas_relaxed(&xwants_total, 1);
            return;
        }
        /* Release: our reads of the old links happen before a giver that sees FREE relinks.
         * pairs with rcu.c:rcu_give (acquire load of vword) */
        if (sl_cas_acq_rel(&s->vword, &v, vw_make(SL_RCU_LINK_FREE, 0)))
            return;
    }
}

/* One reclaim pass over every set. Caller holds no set lock and is not a reader. */
static unsigned reclaim(void) {
    bool had[RCU_MAX_SETS] = {false};
    sl_span_t *batch = NULL;
    unsigned n = 0;
    pthread_mutex_lock(&reclaim_lock);
    for (unsigned id = 0; id < rcu_nsets; id++) {
        struct rcu_set *c = rcu_sets[id];
        if (!sl_load_relaxed(&c->xlimbo))
            continue;
        lock_set(c);
        while (c->limbo) {
            sl_span_t *s = c->limbo;
            c->limbo = s->vlink[RCU_LIMBO];
            s->vlink[RCU_LIMBO] = batch;
            batch = s;
            had[id] = true;
        }
        c->nlimbo = 0;
        sl_store_relaxed(&c->xlimbo, 0);
        unlock_set(c);
    }
    if (batch) {
        /* Every span in the batch was unlinked before this point (under its set lock,
         * which we took since), so readers that could still see it are pre-existing. */
        if (!sl_load_relaxed(&xlocked_mode)) {
            urcu_memb_synchronize_rcu();
            /* TSan: every reader released rcu_gp_sync before leaving its section.
             * pairs with rcu.c:claim_rcu */
            sl_tsan_acquire(&rcu_gp_sync);
        }
        for (unsigned id = 0; id < rcu_nsets; id++)
            if (had[id])
                sl_count(&rcu_sets[id]->xgrace_periods);
        while (batch) {
            sl_span_t *s = batch;
            batch = s->vlink[RCU_LIMBO];
            finish_limbo(s);
            n++;
        }
    }
    pthread_mutex_unlock(&reclaim_lock);
    return n;
}

static void maybe_reclaim(void) {
    if (sl_load_relaxed(&xwants_total) >= RCU_WANT_BATCH)
        reclaim();
}

/* --- the ops --------------------------------------------------------------------------- */

static int rcu_init(sl_spanset_t *set, unsigned spc) {
    (void)spc;
    pthread_once(&rcu_once, rcu_once_init);
    if (rcu_key_err)
        return -rcu_key_err;
    if (rcu_nsets == RCU_MAX_SETS)
        return -ENOSPC;
    struct rcu_set *c = rset(set);
    c->head = c->limbo = NULL;
    c->nlinked = c->nlimbo = 0;
    c->id = rcu_nsets;
    rcu_sets[rcu_nsets++] = c;
    return -pthread_mutex_init(&c->lock, NULL);
}

static void rcu_destroy(sl_spanset_t *set) {
    pthread_mutex_destroy(&rset(set)->lock);
}

static bool try_claim(struct rcu_set *c, sl_span_t *s) {
    uint32_t st = sl_load_relaxed(&s->xstate);
    if (st != SL_SPAN_AVAILABLE)
        return false;
    /* Acquire: we see what the giver wrote before publishing; one claimer wins.
     * pairs with rcu.c:publish_locked. model rcu.cc:claim_cas */
    if (sl_cas_acq_rel(&s->xstate, &st, SL_SPAN_TRANSIT)) {
        sl_fas_relaxed(&c->xavail, 1);
        return true;
    }
    sl_count(&c->xcas_retries);
    return false;
}

/* The read side: walk inside one read-side section. *dead counts claimed entries seen. */
static sl_span_t *claim_rcu(struct rcu_set *c, unsigned *dead, bool *raced) {
    sl_span_t *got = NULL;
    urcu_memb_read_lock();
    /* rcu_dereference: consume/acquire. pairs with rcu.c:link_head_locked and
     * unlink_locked (rcu_assign_pointer). model rcu.cc:head_deref */
    for (sl_span_t *s = rcu_dereference(c->head); s; s = rcu_dereference(s->vlink[RCU_NEXT])) {
        uint32_t st = sl_load_relaxed(&s->xstate);
        if (st != SL_SPAN_AVAILABLE) {
            (*dead)++;
            continue;
        }
        if (try_claim(c, s)) {
            got = s;
            break;
        }
        *raced = true;
    }
    /* TSan: what we read of the list happens before the next grace period ends.
     * pairs with rcu.c:reclaim */
    sl_tsan_release(&rcu_gp_sync);
    urcu_memb_read_unlock();
    return got;
}

/* For threads that are not urcu readers: the same walk under the writer lock. */
static sl_span_t *claim_locked(struct rcu_set *c) {
    sl_span_t *got = NULL;
    unsigned dead = 0;
    lock_set(c);
    for (sl_span_t *s = c->head; s; s = s->vlink[RCU_NEXT]) {
        if (try_claim(c, s)) {
            got = s;
            break;
        }
        dead++;
    }
    if (dead > RCU_PRUNE_DEAD)
        prune_locked(c);
    unlock_set(c);
    return got;
}

static sl_span_t *claim(struct rcu_set *c) {
    if (!reader_ready())
        return claim_locked(c);
    sl_span_t *s = NULL;
    unsigned dead = 0;
    for (int i = 0; i < RCU_WALK_RETRIES && !s; i++) {
        bool raced = false;
        s = claim_rcu(c, &dead, &raced);
        if (!raced)
            break;
    }
    if (dead > RCU_PRUNE_DEAD && pthread_mutex_trylock(&c->lock) == 0) {
        prune_locked(c);
        unlock_set(c);
    }
    return s;
}

static sl_span_t *rcu_pop(sl_spanset_t *set) {
    struct rcu_set *c = rset(set);
    sl_span_t *s = claim(c);
    if (!s && sl_load_relaxed(&c->xwant) > 0) {
        /* Spans pushed to this set wait for a grace period: run it now. */
        reclaim();
        s = claim(c);
    }
    return s;
}

/* push: the span is TRANSIT and ours. A span whose links are still in limbo waits for the
 * next batched grace period (or for a pop that finds nothing else). */
static int rcu_push(sl_spanset_t *set, sl_span_t *s) {
    struct rcu_set *cw = rset(set);
    unsigned w = cw->id;
    for (;;) {
        /* Acquire: a FREE seen here follows the reclaimer's last use of the old links.
         * pairs with rcu.c:finish_limbo */
        uint64_t v = sl_load_acquire(&s->vword);
        if (v & VW_WANT)
            sl_fatal("span %p pushed to an rcu set twice", (void *)s->base);
        switch (VW_STATE(v)) {
        case SL_RCU_LINK_FREE:
#ifndef SL_TSAN_CANARY
            lock_set(cw);
#endif
            link_head_locked(cw, s);
#ifndef SL_TSAN_CANARY
            unlock_set(cw);
#endif
            return 0;
        case SL_RCU_LINK_LISTED: {
            struct rcu_set *cl = rcu_sets[VW_SET(v)];
            if (cl == cw) {
                /* Still linked here since its claim: revive in place. */
                lock_set(cw);
                if (sl_load_relaxed(&s->vword) == v) {
                    publish_locked(cw, s);
                    unlock_set(cw);
                    return 0;
                }
                unlock_set(cw); /* pruned meanwhile */
                continue;
            }
            /* Linked in another set's list (recycled descriptor, or pushed elsewhere):
             * unlink it there; the reclaim after the grace period links it here. */
            sl_faa_relaxed(&cw->xwant, 1);
            sl_faa_relaxed(&xwants_total, 1);
            lock_set(cl);
            if (sl_load_relaxed(&s->vword) == v) {
                unlink_locked(cl, s, vw_want(w));
                unlock_set(cl);
                maybe_reclaim();
                return 0;
            }
            unlock_set(cl);
            sl_fas_relaxed(&cw->xwant, 1);
            sl_fas_relaxed(&xwants_total, 1);
            continue;
        }
        case SL_RCU_LINK_LIMBO:
            sl_faa_relaxed(&cw->xwant, 1);
            sl_faa_relaxed(&xwants_total, 1);
            /* Release: hands the span to the reclaimer. pairs with rcu.c:finish_limbo */
            if (sl_cas_acq_rel(&s->vword, &v, v | vw_want(w))) {
                maybe_reclaim();
                return 0;
            }
            sl_fas_relaxed(&cw->xwant, 1);
            sl_fas_relaxed(&xwants_total, 1);
            continue;
        default:
            sl_fatal("span %p has a corrupt rcu link word %#llx", (void *)s->base,
                     (unsigned long long)v);
        }
    }
}

static uint64_t rcu_count(sl_spanset_t *set) {
    struct rcu_set *c = rset(set);
    return sl_load_relaxed(&c->xavail) + sl_load_relaxed(&c->xwant);
}

static void rcu_stats(sl_spanset_t *set, struct sl_central_counters *out) {
    struct rcu_set *c = rset(set);
    out->lock_waits += sl_load_relaxed(&c->xlock_waits);
    out->cas_retries += sl_load_relaxed(&c->xcas_retries);
    out->grace_periods += sl_load_relaxed(&c->xgrace_periods);
}

static void rcu_atfork_prepare(void) {
    pthread_mutex_lock(&reclaim_lock);
    for (unsigned id = 0; id < rcu_nsets; id++)
        pthread_mutex_lock(&rcu_sets[id]->lock);
}

static void rcu_atfork_parent(void) {
    for (unsigned id = 0; id < rcu_nsets; id++)
        pthread_mutex_unlock(&rcu_sets[id]->lock);
    pthread_mutex_unlock(&reclaim_lock);
}

static void rcu_atfork_child(void) {
    for (unsigned id = 0; id < rcu_nsets; id++)
        pthread_mutex_init(&rcu_sets[id]->lock, NULL);
    pthread_mutex_init(&reclaim_lock, NULL);
    /* The parent's readers are in urcu's registry but not here: a grace period could wait
     * forever. With only locked walkers, an unlinked span is unreachable at once. */
    sl_store_relaxed(&xlocked_mode, 1);
}

/* Observer: the set's link count under the writer lock. */
static void rcu_canary_touch(sl_spanset_t *set) {
    struct rcu_set *c = rset(set);
    lock_set(c);
    volatile uint32_t n = c->nlinked;
    (void)n;
    unlock_set(c);
}

const sl_central_ops_t sl_central_rcu = {
    .name = "rcu",
    .summary = "liburcu (memb) RCU list per set: lock-free claim by CAS, locked writers, "
               "batched synchronize_rcu",
    .set_size = sizeof(struct rcu_set),
    .init = rcu_init,
    .destroy = rcu_destroy,
    .push = rcu_push,
    .pop = rcu_pop,
    .count = rcu_count,
    .thread_attach = rcu_thread_attach,
    .thread_detach = rcu_thread_detach,
    .stats = rcu_stats,
    .atfork_prepare = rcu_atfork_prepare,
    .atfork_parent = rcu_atfork_parent,
    .atfork_child = rcu_atfork_child,
    .canary_touch = rcu_canary_touch,
};

/* --- test hooks (rcu_test.h) ------------------------------------------------------------ */

int sl_rcu_test_link_state(sl_span_t *s) {
    return (int)VW_STATE(sl_load_acquire(&s->vword));
}

bool sl_rcu_test_hold(sl_spanset_t *set, sl_span_t *s, void (*hold)(void *), void *arg,
                      void **before, void **after) {
    if (!reader_ready())
        return false;
    bool found = false;
    urcu_memb_read_lock();
    for (sl_span_t *p = rcu_dereference(rset(set)->head); p;
         p = rcu_dereference(p->vlink[RCU_NEXT])) {
        if (p == s) {
            found = true;
            *before = rcu_dereference(s->vlink[RCU_NEXT]);
            hold(arg);
            *after = rcu_dereference(s->vlink[RCU_NEXT]);
            break;
        }
    }
    sl_tsan_release(&rcu_gp_sync); /* pairs with rcu.c:reclaim */
    urcu_memb_read_unlock();
    return found;
}

unsigned sl_rcu_test_prune(sl_spanset_t *set) {
    struct rcu_set *c = rset(set);
    lock_set(c);
    unsigned n = prune_locked(c);
    unlock_set(c);
    return n;
}

unsigned sl_rcu_test_reclaim(void) {
    return reclaim();
}
