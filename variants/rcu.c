/* rcu -- a span set is a liburcu (urcu-memb) RCU list of nodes, each offering one span.
 *
 * Algorithm:    list nodes are separate from span descriptors. A set keeps a singly linked
 *               list of 32-byte nodes; a node offers one span (node->xspan). push takes a
 *               fresh node, stores the span in it and links it at the head under the set's
 *               writer mutex. pop walks the list inside rcu_read_lock and claims a node in
 *               place by CAS on its xspan (span -> NULL); it takes no lock. A claimed node
 *               is dead. A push that finds the head dead revives it in place (stores its
 *               span in it: the node never left the list, so no grace period is involved)
 *               and unlinks the run of dead nodes behind it; a reader that skipped more
 *               than RCU_PRUNE_DEAD dead nodes unlinks the dead ones at the front if the
 *               lock is free (trylock: it never waits). An unlinked node is retired. The
 *               span itself is never held back: it may be pushed again at once, into any
 *               set. A set counts spans offered (under the lock) and claimed (by the
 *               claim, one RMW): count() is their difference, and pop answers an empty set
 *               from it without entering the list.
 * Costs:        pop: one CAS on the node and one RMW on the set's claim counter, no lock.
 *               push: the set lock and plain stores; retiring writes only the set (the
 *               global retired total moves RCU_RETIRE_STEP at a time). Every dead node a
 *               claim walks past is a likely cache miss, so readers prune early (after 2):
 *               an uncontended trylock costs less than the walks it saves (cachegrind,
 *               variants/README.md).
 * Grace period: only nodes wait, and the allocation path does not wait for them. Retired
 *               nodes collect per set; a background reclaimer thread detaches every set's
 *               retired list, runs one urcu_memb_synchronize_rcu for all of them and gives
 *               each set its own nodes back, spliced whole into its node cache (counted in
 *               grace_periods_bg). It wakes when RCU_RETIRE_BATCH nodes are retired, or
 *               every RCU_RECLAIM_MS, and leaves at least RCU_RECLAIM_GAP_US between
 *               passes, so a busy process pays at most one grace period per millisecond,
 *               whatever its span traffic (larson under eager, the busiest workload here:
 *               80-380 a second), and the thread wakes once per pass or period: on a
 *               loaded machine each wake-up may take a CPU from a worker. A push whose set
 *               cache and the pool are empty takes new nodes from the metadata allocator;
 *               it waits for a grace period itself (counted in grace_periods) only when
 *               RCU_RETIRED_CAP nodes are already waiting for one (the reclaimer cannot
 *               keep up, or is not running), so memory held by retired nodes is bounded.
 *               Why not call_rcu: call_rcu allocates (call_rcu_data, and a worker made with
 *               pthread_create, which callocs its thread's TLS vector) and this library is
 *               the process malloc; liburcu 0.13 never tears that worker down and leaves
 *               fork to the application (call_rcu_{before,after}_fork_*). Why not defer
 *               spans (the previous design): a span that changed class or set had to wait
 *               for a grace period before it was available again, and a pop that found
 *               only waiting spans ran synchronize_rcu on the allocation path (larson: one
 *               wait per ~80 mcentral calls).
 * Reclaimer:    started by thread_attach, which runs when a thread's mcache is created:
 *               no lock is held there and the calling thread's cache is consistent, so
 *               pthread_create's calloc may recurse into this allocator (started once,
 *               by CAS, like the scavenger). The thread never allocates: it waits on a
 *               condition variable, takes set locks and the pool lock, calls
 *               synchronize_rcu (which allocates nothing) and sleeps. If it cannot be
 *               created, pushes fall back to waiting themselves at the cap.
 * Nodes:        carved RCU_NODE_CHUNK at a time from sl_os_meta_alloc (persistent, never
 *               unmapped: a reader may read a stale node's next link, and a node is
 *               type-stable). Each set caches free nodes under its own lock (its reclaimed
 *               ones, while it holds fewer than RCU_CACHE_KEEP); the pool (pool_lock)
 *               holds the rest, and a set with an empty cache takes RCU_CACHE_MAX / 2
 *               from it. Out of memory: the metadata allocator returns NULL; push then
 *               waits for one grace period if nodes are retired (they become free), else
 *               returns -ENOMEM with nothing changed, and central.c keeps the span on its
 *               fallback list.
 * Progress:     pop is lock-free against other readers (a failed CAS means another reader
 *               won) and never blocks or waits for a grace period. push is blocking (the
 *               writer lock) and waits for a grace period only at the retired-node cap.
 * ABA/reclaim:  xspan goes from a span to NULL only by the claim CAS, and from NULL to a
 *               span only under the set's lock while the node is on that set's list (link
 *               or revive); a span is offered in one node at a time (its owner pushes it
 *               once). A reader whose CAS succeeds against a stale value (the span was
 *               claimed and revived in the same node meanwhile: ABA) still gets a span
 *               that is offered by this set right now, so the ABA is benign. An unlinked
 *               node is reused only after a grace period that began after the unlink, so a
 *               reader standing on it inside its read-side section never sees it relinked
 *               into any list or given a span.
 * Lock order:   reclaim_lock -> set lock -> pool_lock; set lock -> sl_os_meta_alloc's
 *               locks (its metadata lock, and the heap lock when it falls back to heap
 *               pages: the mheap never calls a variant, so no cycle). wake_lock is a leaf.
 *               Two set locks are never held together; no lock is held while calling
 *               synchronize_rcu except reclaim_lock. Readers hold no lock.
 * Threads:      thread_attach registers with urcu; pop registers an unattached caller
 *               lazily; a pthread key destructor and thread_detach unregister. After
 *               thread_detach (or the destructor) a thread uses the locked path: the list
 *               walked under the set lock, the claimed node unlinked at once. A fork child
 *               uses only the locked path (the parent's readers are in urcu's registry but
 *               do not exist): with no readers, a retired node is free at once, and no
 *               reclaimer is started there.
 * TSan:         _LGPL_SOURCE + tsan_urcu_shim.h (liburcu's inline shared accesses as
 *               __atomic); readers sl_tsan_release(&rcu_gp_sync) before rcu_read_unlock and
 *               a reclaim pass sl_tsan_acquire(&rcu_gp_sync) after synchronize_rcu; the set
 *               (or pool) lock orders a reclaimed node's reuse after the pass. The checked
 *               executables link liburcu statically; we never call call_rcu or rcu_barrier
 *               (the source of the reports `called_from_lib:liburcu-memb.so` hid), and the
 *               library's own accesses are uninstrumented. No suppression is needed.
 * Canary:       -DSL_TSAN_CANARY: push links its node without the writer lock (and never
 *               revives, so every push takes that path); the accesses of link_head_locked
 *               it leaves unlocked are the CANARY sites. canary_touch reads the set's
 *               nlinked under the lock.
 * Stall points: the read-side section is claim_rcu (one walk between read_lock and
 *               read_unlock); the writer sections are the bodies between lock_set and
 *               unlock_set in rcu_push, prune and claim_locked; a grace period is
 *               reclaim().
 * Span fields:  none of vlink/vword: a span's only link to this variant is the node that
 *               offers it (xspan), and xstate (AVAILABLE while offered, TRANSIT once
 *               claimed).
 * Test hooks:   rcu_test.h's, at the end of this file, compiled only into the test
 *               library (SL_TEST_HOOKS): the release libraries do not export them.
 */
#define _LGPL_SOURCE 1

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "atomic.h"
#ifdef SL_HAVE_TSAN
#include "tsan_urcu_shim.h"
#endif
#include <urcu/urcu-memb.h>

#include "central.h"
#include "fatal.h"
#include "os.h"
#include "rcu_test.h"
#include "stall.h"

/* A reader that skipped this many claimed (dead) nodes prunes them if the lock is free. */
#define RCU_PRUNE_DEAD 1
/* Walks retried when every available node seen was claimed under our feet. */
#define RCU_WALK_RETRIES 4
/* Retired nodes (all sets) that wake the reclaimer before its period ends. */
#define RCU_RETIRE_BATCH 4096
/* A set adds its retired nodes to the global total this many at a time. */
#define RCU_RETIRE_STEP 32
/* The reclaimer's period when fewer are retired, and the least time between two passes. */
#define RCU_RECLAIM_MS     50
#define RCU_RECLAIM_GAP_US 1000
/* Retired nodes beyond which a push that needs a node waits for a grace period instead of
 * taking new memory (65536 nodes = 2 MiB). */
#define RCU_RETIRED_CAP 65536
/* Nodes carved from the metadata allocator at once, and kept in a set's own cache. */
#define RCU_NODE_CHUNK 128
#define RCU_CACHE_MAX  64
/* A reclaim pass gives a set its own nodes back while it caches fewer than this. */
#define RCU_CACHE_KEEP 4096

#define RCU_MAX_SETS (SL_NUM_SPAN_CLASSES * SL_CENTRAL_MAX_SETS)

typedef struct rcu_node {
    /* List link: rcu_assign_pointer under the set lock, rcu_dereference by readers. Left
     * intact when the node is unlinked, for readers still standing on it. */
    struct rcu_node *next;
    /* The span offered; NULL once claimed. Set (release) only while the node is not yet
     * reachable; cleared once, by the claim CAS. */
    _Atomic(sl_span_t *) xspan;
    /* Free, cache and retired lists: writers and the reclaimer only, under the lock of
     * whichever list holds the node. */
    struct rcu_node *pool_next;
    /* SL_RCU_NODE_FREE / LISTED / RETIRED (relaxed: diagnostics and tests). A reclaimed
     * node keeps RETIRED until it is linked again (the pass does not walk its batch). */
    _Atomic uint32_t xwhere;
} rcu_node_t;

struct rcu_set {
    /* The writer lock: every change of the list, the node cache and the retired list
     * happens under it. Readers never take it. */
    _Alignas(64) pthread_mutex_t lock;
    /* First node of the list. Written with rcu_assign_pointer under lock; read by readers
     * with rcu_dereference and by writers under lock. */
    rcu_node_t *head;
    rcu_node_t *cache;   /* free nodes of this set (pool_next); under lock */
    rcu_node_t *retired; /* unlinked, waiting for a grace period (pool_next); under lock */
    rcu_node_t *retired_tail;
    /* The retired list a reclaim pass detached, until its grace period ends: under
     * reclaim_lock (and the set lock when spliced back). */
    rcu_node_t *gp_batch, *gp_tail;
    uint32_t ngp;
    uint32_t ncache;           /* under lock */
    uint32_t nretired;         /* under lock */
    uint32_t nlinked;          /* nodes on the list (offering or dead); under lock */
    unsigned id;               /* this set's number in rcu_sets; immutable after init */
    _Atomic uint32_t xretired; /* nretired for lock-free peeking by reclaim (relaxed hint) */
    /* The count: spans offered (written under lock, so a load and a store, no RMW) minus
     * spans claimed (by readers, one RMW each). Also pop's test for an empty set. */
    _Atomic uint64_t xoffered;
    _Atomic uint64_t xclaimed;
    /* Stats, relaxed: never used for synchronization. */
    _Atomic uint64_t xlock_waits;
    _Atomic uint64_t xcas_retries;
    _Atomic uint64_t xgrace_waits; /* grace periods a push of this set waited for */
    _Atomic uint64_t xgrace_bg;    /* background passes charged to this set (the first in
                                      their batch), so the sum over sets is exact */
};

/* Every set by number; written by init only (start-up, single-threaded). */
static struct rcu_set *rcu_sets[RCU_MAX_SETS];
static unsigned rcu_nsets;

static struct rcu_set *rset(sl_spanset_t *set) {
    return (struct rcu_set *)(void *)set;
}

/* Serialises reclaim passes: a detached batch lives only on the reclaimer's stack. */
static pthread_mutex_t reclaim_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set in a fork child: no RCU readers, no grace periods. Read by every pop and push, so it
 * and the other read-mostly flags below do not share a cache line with xretired_total. */
static _Alignas(64) _Atomic int xlocked_mode;
static char rcu_gp_sync; /* TSan annotation address for grace periods */

/* The node pool: nodes free for any set. pool_lock is a leaf under a set lock. */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static rcu_node_t *pool_free;         /* under pool_lock */
static uint64_t pool_nfree;           /* under pool_lock */
static _Atomic uint64_t xnodes_total; /* nodes carved so far (relaxed; stats, tests) */
/* Retired nodes of all sets, counted in steps of RCU_RETIRE_STEP per set (a set's last
 * nretired % RCU_RETIRE_STEP are not in it): the reclaimer's trigger and the cap (relaxed).
 * Alone on its line: it is the one global that retiring writes. */
static _Alignas(64) _Atomic uint64_t xretired_total;

/* The reclaimer thread. xreclaimer: 0 not started, 1 started or not wanted. xattached:
 * some thread attached (its mcache was created); until then push may start the reclaimer
 * (tests and slbench's central workload drive the sets with no mcache). */
static _Alignas(64) _Atomic int xreclaimer;
static _Atomic int xattached;
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;

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
    SL_STALL_POINT(); /* every writer section */
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

/* --- the node pool ---------------------------------------------------------------------- */

static void node_set_where(rcu_node_t *n, uint32_t where) {
    sl_store_relaxed(&n->xwhere, where);
}

/* True when RCU_RETIRED_CAP nodes wait for a grace period: a push then takes only nodes
 * that a grace period freed rather than carve new ones. Read only when the set's cache is
 * empty. */
static bool retired_at_cap(void) {
    return sl_load_relaxed(&xretired_total) >= RCU_RETIRED_CAP;
}

/* Refill c's cache from the pool, carving new nodes unless at_cap. Caller holds c->lock.
 * False when nothing could be had (the pool is empty, and at_cap or out of memory). */
static bool cache_refill_locked(struct rcu_set *c, bool at_cap) {
    pthread_mutex_lock(&pool_lock);
    while (pool_free && c->ncache < RCU_CACHE_MAX / 2) {
        rcu_node_t *n = pool_free;
        pool_free = n->pool_next;
        pool_nfree--;
        n->pool_next = c->cache;
        c->cache = n;
        c->ncache++;
    }
    pthread_mutex_unlock(&pool_lock);
    if (c->ncache || at_cap)
        return c->ncache != 0;
    rcu_node_t *chunk = sl_os_meta_alloc(RCU_NODE_CHUNK * sizeof(rcu_node_t));
    if (!chunk)
        return false;
    sl_fetch_add_relaxed(&xnodes_total, RCU_NODE_CHUNK);
    /* Keep RCU_CACHE_MAX / 2 here, the rest to the pool. */
    unsigned keep = RCU_CACHE_MAX / 2;
    for (unsigned i = 0; i < keep; i++) {
        chunk[i].pool_next = c->cache;
        c->cache = &chunk[i];
    }
    c->ncache += keep;
    pthread_mutex_lock(&pool_lock);
    for (unsigned i = keep; i < RCU_NODE_CHUNK; i++) {
        chunk[i].pool_next = pool_free;
        pool_free = &chunk[i];
    }
    pool_nfree += RCU_NODE_CHUNK - keep;
    pthread_mutex_unlock(&pool_lock);
    return true;
}

/* A free node for c, or NULL. Caller holds c->lock. Unless any, takes only nodes that a
 * grace period already freed when the retired-node cap is reached. */
static rcu_node_t *node_take_locked(struct rcu_set *c, bool any) {
    if (!c->cache && !cache_refill_locked(c, !any && retired_at_cap()))
        return NULL;
    rcu_node_t *n = c->cache;
    c->cache = n->pool_next;
    c->ncache--;
    /* The next node taken is cold (a grace period has passed since it was last used):
     * fetch it now, for writing, so that the next push does not wait for it. */
    if (c->cache)
        __builtin_prefetch(c->cache, 1);
    return n;
}

/* A node whose readers are all gone (fork child, or a claim under the lock in a child)
 * goes straight back to the cache, or to the pool when the cache is full. */
static void node_free_locked(struct rcu_set *c, rcu_node_t *n) {
    node_set_where(n, SL_RCU_NODE_FREE);
    if (c->ncache < RCU_CACHE_MAX) {
        n->pool_next = c->cache;
        c->cache = n;
        c->ncache++;
        return;
    }
    pthread_mutex_lock(&pool_lock);
    n->pool_next = pool_free;
    pool_free = n;
    pool_nfree++;
    pthread_mutex_unlock(&pool_lock);
}

/* --- list operations (writer side) ------------------------------------------------------ */

/* Retire an unlinked node: it waits for the next grace period. Returns true when the
 * caller should wake the reclaimer (after dropping its lock). */
static bool retire_locked(struct rcu_set *c, rcu_node_t *n) {
    if (sl_load_relaxed(&xlocked_mode)) {
        node_free_locked(c, n); /* no readers exist */
        return false;
    }
    node_set_where(n, SL_RCU_NODE_RETIRED);
    /* At the front: no store into an older (by now cold) retired node. The tail, kept for
     * splicing, is the first node retired since the last pass. */
    n->pool_next = c->retired;
    c->retired = n;
    if (!c->retired_tail)
        c->retired_tail = n;
    c->nretired++;
    sl_store_relaxed(&c->xretired, c->nretired);
    if (c->nretired % RCU_RETIRE_STEP)
        return false;
    uint64_t total = sl_fetch_add_relaxed(&xretired_total, RCU_RETIRE_STEP) + RCU_RETIRE_STEP;
    return total >= RCU_RETIRE_BATCH && total - RCU_RETIRE_STEP < RCU_RETIRE_BATCH;
}

/* Unlink *pp (a dead node) and retire it. Its next link stays intact for readers still
 * standing on it; it is reused only after a grace period (rcu.c:reclaim). */
static bool unlink_locked(struct rcu_set *c, rcu_node_t **pp) {
    rcu_node_t *n = *pp;
    /* Release: readers that reach n->next through *pp see it initialised.
     * pairs with rcu.c:claim_rcu (rcu_dereference) */
    rcu_assign_pointer(*pp, n->next);
    c->nlinked--;
    return retire_locked(c, n);
}

static bool node_dead(rcu_node_t *n) {
    /* A listed node's xspan changes only by the claim, to NULL: dead stays dead. */
    return sl_load_relaxed(&n->xspan) == NULL;
}

/* Unlink the run of dead nodes right behind n (claims happen at the front). */
static bool prune_behind_locked(struct rcu_set *c, rcu_node_t *n) {
    bool wake = false;
    while (n->next && node_dead(n->next))
        wake |= unlink_locked(c, &n->next);
    return wake;
}

/* Unlink the dead nodes at the front (where claims leave them: a claim takes the first
 * live node, and push revives a dead head and unlinks the dead run behind it). */
static bool prune_front_locked(struct rcu_set *c) {
    bool wake = false;
    while (c->head && node_dead(c->head))
        wake |= unlink_locked(c, &c->head);
    return wake;
}

/* Unlink every dead node. Returns how many; *wake as retire_locked. */
static unsigned prune_locked(struct rcu_set *c, bool *wake) {
    unsigned n = 0;
    for (rcu_node_t **pp = &c->head; *pp;) {
        if (node_dead(*pp)) {
            *wake |= unlink_locked(c, pp);
            n++;
        } else {
            pp = &(*pp)->next;
        }
    }
    return n;
}

/* Offer s in node n: a fresh node before it is linked, or a dead node still on c's list
 * (revived: it was never unlinked, so no grace period is involved; a reader still holding
 * the value it last offered can only win a CAS against the same span, which is then
 * available here again). */
static void offer_locked(struct rcu_set *c, rcu_node_t *n, sl_span_t *s) {
    sl_store_relaxed(&s->xstate, SL_SPAN_AVAILABLE);
    /* Release: the giver's writes to the span (its sweep, the mheap's init) and its
     * AVAILABLE state are visible to the reader whose claim CAS reads this.
     * pairs with rcu.c:try_claim. model rcu.cc:publish_store */
    sl_store_release(&n->xspan, s);
    /* Under the lock: a load and a store, no RMW. Before the list publishes n (head
     * assign), so a claim is counted after its offer. */
    sl_store_relaxed(&c->xoffered, sl_load_relaxed(&c->xoffered) + 1);
}

/* Offer s in the free node n, linked at the head of c's list. */
static void link_head_locked(struct rcu_set *c, rcu_node_t *n, sl_span_t *s) {
    node_set_where(n, SL_RCU_NODE_LISTED);
    n->next = c->head; /* CANARY site */
    c->nlinked++;      /* CANARY site */
    offer_locked(c, n, s);
    /* Release (cmm_wmb + store): a reader that finds n through head sees its next link and
     * its span. pairs with rcu.c:claim_rcu (rcu_dereference). model rcu.cc:head_assign */
    rcu_assign_pointer(c->head, n); /* CANARY site */
}

/* --- grace periods ------------------------------------------------------------------- */

static void wake_reclaimer(void) {
    pthread_mutex_lock(&wake_lock);
    pthread_cond_signal(&wake_cond);
    pthread_mutex_unlock(&wake_lock);
}

/* One reclaim pass over every set: detach the retired nodes, wait for one grace period,
 * put them in the pool. Caller holds no set lock and is not inside a read-side section.
 * waiter: the set of a push that waits for this pass (charged grace_periods), or NULL for
 * the background reclaimer. A waiter that finds the pool refilled by the pass it waited
 * for (the background one held reclaim_lock) runs no grace period of its own. */
static unsigned reclaim(struct rcu_set *waiter) {
    uint16_t ids[RCU_MAX_SETS];
    unsigned nids = 0, n = 0, counted = 0;
    /* A waiter counts one grace period whether it waits for the pass in progress, runs
     * its own, or both. */
    bool waited = pthread_mutex_trylock(&reclaim_lock) != 0;
    if (waited)
        pthread_mutex_lock(&reclaim_lock);
    for (unsigned id = 0; id < rcu_nsets; id++) {
        struct rcu_set *c = rcu_sets[id];
        if (!sl_load_relaxed(&c->xretired))
            continue;
        lock_set(c);
        if (c->retired) {
            c->gp_batch = c->retired;
            c->gp_tail = c->retired_tail;
            c->ngp = c->nretired;
            n += c->nretired;
            counted += c->nretired - c->nretired % RCU_RETIRE_STEP;
            ids[nids++] = (uint16_t)id;
        }
        c->retired = c->retired_tail = NULL;
        c->nretired = 0;
        sl_store_relaxed(&c->xretired, 0);
        unlock_set(c);
    }
    if (nids) {
        /* Every node in the batch was unlinked before this point (under its set lock,
         * which we took since), so readers that could still see it are pre-existing. */
        if (!sl_load_relaxed(&xlocked_mode)) {
            urcu_memb_synchronize_rcu();
            /* TSan: every reader released rcu_gp_sync before leaving its section.
             * pairs with rcu.c:claim_rcu */
            sl_tsan_acquire(&rcu_gp_sync);
            sl_count(waiter ? &waiter->xgrace_waits : &rcu_sets[ids[0]]->xgrace_bg);
            waited = false; /* counted */
        }
        sl_fetch_sub_relaxed(&xretired_total, counted);
        /* Each set gets its own nodes back, spliced whole (no walk over cold nodes); a
         * set already holding RCU_CACHE_KEEP gives them to the pool. The set lock (or the
         * pool lock) orders our last use of the batch before its reuse by a push. */
        for (unsigned i = 0; i < nids; i++) {
            struct rcu_set *c = rcu_sets[ids[i]];
            lock_set(c);
            if (c->ncache < RCU_CACHE_KEEP) {
                c->gp_tail->pool_next = c->cache;
                c->cache = c->gp_batch;
                c->ncache += c->ngp;
            } else {
                pthread_mutex_lock(&pool_lock);
                c->gp_tail->pool_next = pool_free;
                pool_free = c->gp_batch;
                pool_nfree += c->ngp;
                pthread_mutex_unlock(&pool_lock);
            }
            c->gp_batch = c->gp_tail = NULL;
            c->ngp = 0;
            unlock_set(c);
        }
    }
    pthread_mutex_unlock(&reclaim_lock);
    if (waiter && waited)
        sl_count(&waiter->xgrace_waits);
    return n;
}

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *reclaimer_main(void *arg) {
    (void)arg;
    const int64_t gap_ns = RCU_RECLAIM_GAP_US * 1000L;
    int64_t last_pass = monotonic_ns() - gap_ns;
    for (;;) {
        pthread_mutex_lock(&wake_lock);
        if (sl_load_relaxed(&xretired_total) < RCU_RETIRE_BATCH) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += RCU_RECLAIM_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&wake_cond, &wake_lock, &until);
        }
        pthread_mutex_unlock(&wake_lock);
        if (sl_load_relaxed(&xlocked_mode))
            return NULL;
        /* At most one pass per gap. Sleeping only then (not after every pass) keeps
         * the thread's wake-ups, each of which may take a CPU from a worker, to one per
         * period or batch. */
        int64_t wait_ns = last_pass + gap_ns - monotonic_ns();
        if (wait_ns > 0) {
            struct timespec gap = {0, (long)wait_ns};
            nanosleep(&gap, NULL);
        }
        /* Every period: the total misses a set's last few retired nodes, and reclaim
         * peeks at each set (one relaxed load) and waits only if some set has any. */
        if (reclaim(NULL))
            last_pass = monotonic_ns();
    }
    return NULL;
}

/* Start the reclaimer once. Called with no lock held, where a recursive malloc (from
 * pthread_create's TLS set-up) finds this thread's cache consistent: thread_attach. */
static void reclaimer_start(void) {
    if (!sl_load_relaxed(&xlocked_mode))
        sl_os_start_thread_once(&xreclaimer, reclaimer_main); /* or at the next attach */
}

static void rcu_thread_attach(void) {
    sl_store_relaxed(&xattached, 1);
    if (rcu_tls == TLS_DONE)
        rcu_tls = TLS_NEW; /* a thread that flushed early and allocates again */
    (void)reader_ready();
    reclaimer_start();
}

static void rcu_thread_detach(void) {
    reader_leave();
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
    c->head = c->cache = c->retired = c->retired_tail = NULL;
    c->ncache = c->nretired = c->nlinked = 0;
    c->id = rcu_nsets;
    rcu_sets[rcu_nsets++] = c;
    return -pthread_mutex_init(&c->lock, NULL);
}

static void rcu_destroy(sl_spanset_t *set) {
    pthread_mutex_destroy(&rset(set)->lock);
}

/* Spans offered by c and not claimed: exact at quiescence; 0 while a push is in flight
 * (the contract allows it). */
static uint64_t set_count(struct rcu_set *c) {
    /* Acquire: a claim seen here was offered, and its offer's store is seen below.
     * pairs with rcu.c:try_claim */
    uint64_t claimed = sl_load_acquire(&c->xclaimed);
    uint64_t offered = sl_load_relaxed(&c->xoffered);
    return offered > claimed ? offered - claimed : 0;
}

/* Claim n's span, or NULL when it is claimed already (or by a racer now). */
static sl_span_t *try_claim(struct rcu_set *c, rcu_node_t *n) {
    sl_span_t *s = sl_load_relaxed(&n->xspan);
    if (!s)
        return NULL;
    /* Acquire: we see what the giver wrote before offering s; one claimer wins.
     * pairs with rcu.c:offer_locked. model rcu.cc:claim_cas */
    if (sl_cas_acq_rel(&n->xspan, &s, NULL)) {
        /* Release (an RMW, so later claims continue the release sequence): a count that
         * reads this claim (acquire) sees the offer's xoffered store.
         * pairs with rcu.c:set_count */
        sl_fetch_add_acq_rel(&c->xclaimed, 1);
        sl_store_relaxed(&s->xstate, SL_SPAN_TRANSIT);
        return s;
    }
    sl_count(&c->xcas_retries);
    return NULL;
}

/* The read side: walk inside one read-side section. *dead counts claimed nodes seen. */
static sl_span_t *claim_rcu(struct rcu_set *c, unsigned *dead, bool *raced) {
    sl_span_t *got = NULL;
    urcu_memb_read_lock();
    SL_STALL_POINT(); /* inside the read-side section: delays every grace period */
    /* rcu_dereference: consume/acquire. pairs with rcu.c:link_head_locked and
     * unlink_locked (rcu_assign_pointer). model rcu.cc:head_deref */
    for (rcu_node_t *n = rcu_dereference(c->head); n; n = rcu_dereference(n->next)) {
        if (node_dead(n)) {
            (*dead)++;
            continue;
        }
        if ((got = try_claim(c, n)) != NULL)
            break;
        *raced = true;
    }
    /* TSan: what we read of the list happens before the next grace period ends.
     * pairs with rcu.c:reclaim */
    sl_tsan_release(&rcu_gp_sync);
    urcu_memb_read_unlock();
    return got;
}

/* For threads that are not urcu readers: the same walk under the writer lock; the claimed
 * node is unlinked at once. */
static sl_span_t *claim_locked(struct rcu_set *c) {
    sl_span_t *got = NULL;
    unsigned dead = 0;
    bool wake = false;
    lock_set(c);
    for (rcu_node_t **pp = &c->head; *pp; pp = &(*pp)->next) {
        if ((got = try_claim(c, *pp)) != NULL) {
            wake |= unlink_locked(c, pp);
            break;
        }
        dead++;
    }
    if (dead > RCU_PRUNE_DEAD)
        (void)prune_locked(c, &wake);
    unlock_set(c);
    if (wake)
        wake_reclaimer();
    return got;
}

static sl_span_t *rcu_pop(sl_spanset_t *set) {
    struct rcu_set *c = rset(set);
    /* An empty set is answered without a walk (the sweep policy pops empty sets about as
     * often as full ones, and an empty list may still hold dead nodes). */
    if (!set_count(c))
        return NULL;
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
        bool wake = prune_front_locked(c);
        unlock_set(c);
        if (wake)
            wake_reclaimer();
    }
    return s;
}

/* push: the span is TRANSIT and ours; it is offered at once in a new node. */
static int rcu_push(sl_spanset_t *set, sl_span_t *s) {
    struct rcu_set *c = rset(set);
    if (!sl_load_relaxed(&xreclaimer) && !sl_load_relaxed(&xattached))
        reclaimer_start(); /* only a program that drives the sets directly gets here */
    lock_set(c);
#ifndef SL_TSAN_CANARY /* the canary's plant is on the linking path: always take it */
    rcu_node_t *h = c->head;
    if (h && node_dead(h)) {
        /* The common case: the head was claimed since the last push. Revive it. */
        bool wake = prune_behind_locked(c, h);
        offer_locked(c, h, s);
        unlock_set(c);
        if (wake)
            wake_reclaimer();
        return 0;
    }
#endif
    /* A new node: nothing is retired on this path, so there is nobody to wake. */
    rcu_node_t *n = node_take_locked(c, false);
    if (!n) {
        /* At the cap, or out of memory: free the retired nodes with one grace period (or
         * find them freed by the reclaimer's), then take any node there is. */
        unlock_set(c);
        reclaim(c);
        lock_set(c);
        n = node_take_locked(c, true);
        if (!n) {
            unlock_set(c);
            return -ENOMEM;
        }
    }
#ifdef SL_TSAN_CANARY
    unlock_set(c); /* planted: the link below runs without the writer lock */
    link_head_locked(c, n, s);
#else
    link_head_locked(c, n, s);
    unlock_set(c);
#endif
    return 0;
}

static uint64_t rcu_count(sl_spanset_t *set) {
    return set_count(rset(set));
}

static void rcu_stats(sl_spanset_t *set, struct sl_central_counters *out) {
    struct rcu_set *c = rset(set);
    out->lock_waits += sl_load_relaxed(&c->xlock_waits);
    out->cas_retries += sl_load_relaxed(&c->xcas_retries);
    out->grace_periods += sl_load_relaxed(&c->xgrace_waits);
    out->grace_periods_bg += sl_load_relaxed(&c->xgrace_bg);
}

static void rcu_atfork_prepare(void) {
    pthread_mutex_lock(&reclaim_lock);
    for (unsigned id = 0; id < rcu_nsets; id++)
        pthread_mutex_lock(&rcu_sets[id]->lock);
    pthread_mutex_lock(&pool_lock);
    pthread_mutex_lock(&wake_lock);
}

static void rcu_atfork_parent(void) {
    pthread_mutex_unlock(&wake_lock);
    pthread_mutex_unlock(&pool_lock);
    for (unsigned id = 0; id < rcu_nsets; id++)
        pthread_mutex_unlock(&rcu_sets[id]->lock);
    pthread_mutex_unlock(&reclaim_lock);
}

static void rcu_atfork_child(void) {
    /* The parent's readers are in urcu's registry but not here: a grace period could wait
     * forever. With only locked walkers, an unlinked node is unreachable at once, and
     * the reclaimer (not copied by fork) is not needed. */
    sl_store_relaxed(&xlocked_mode, 1);
    sl_store_relaxed(&xreclaimer, 1);
    pthread_mutex_init(&wake_lock, NULL);
    pthread_cond_init(&wake_cond, NULL);
    pthread_mutex_init(&pool_lock, NULL);
    for (unsigned id = 0; id < rcu_nsets; id++) {
        struct rcu_set *c = rcu_sets[id];
        pthread_mutex_init(&c->lock, NULL);
        while (c->retired) {
            rcu_node_t *n = c->retired;
            c->retired = n->pool_next;
            node_free_locked(c, n);
        }
        c->retired_tail = NULL;
        c->nretired = 0;
        sl_store_relaxed(&c->xretired, 0);
    }
    sl_store_relaxed(&xretired_total, 0);
    pthread_mutex_init(&reclaim_lock, NULL);
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
    .summary = "liburcu (memb) RCU list of nodes per set: lock-free claim by CAS, locked "
               "writers, node reuse after background grace periods",
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

/* --- test hooks (rcu_test.h), in the test library only ---------------------------------- */
#ifdef SL_TEST_HOOKS

void *sl_rcu_test_node_of(sl_spanset_t *set, sl_span_t *s) {
    struct rcu_set *c = rset(set);
    rcu_node_t *got = NULL;
    lock_set(c);
    for (rcu_node_t *n = c->head; n && !got; n = n->next)
        if (sl_load_relaxed(&n->xspan) == s)
            got = n;
    unlock_set(c);
    return got;
}

/* xwhere says LISTED or RETIRED; a reclaim pass does not walk its nodes to mark them
 * free, so a retired node that sits in a cache or the pool is free. */
int sl_rcu_test_node_state(void *node) {
    int where = (int)sl_load_relaxed(&((rcu_node_t *)node)->xwhere);
    if (where != SL_RCU_NODE_RETIRED)
        return where;
    bool found = false;
    for (unsigned id = 0; id < rcu_nsets && !found; id++) {
        struct rcu_set *c = rcu_sets[id];
        lock_set(c);
        for (rcu_node_t *n = c->cache; n && !found; n = n->pool_next)
            found = n == node;
        unlock_set(c);
    }
    pthread_mutex_lock(&pool_lock);
    for (rcu_node_t *n = pool_free; n && !found; n = n->pool_next)
        found = n == node;
    pthread_mutex_unlock(&pool_lock);
    return found ? SL_RCU_NODE_FREE : SL_RCU_NODE_RETIRED;
}

bool sl_rcu_test_hold(sl_spanset_t *set, void *node, void (*hold)(void *), void *arg, void **before,
                      void **after, sl_span_t **span_after) {
    if (!reader_ready())
        return false;
    bool found = false;
    urcu_memb_read_lock();
    for (rcu_node_t *n = rcu_dereference(rset(set)->head); n; n = rcu_dereference(n->next)) {
        if (n == node) {
            found = true;
            *before = rcu_dereference(n->next);
            hold(arg);
            *after = rcu_dereference(n->next);
            *span_after = sl_load_relaxed(&n->xspan);
            break;
        }
    }
    sl_tsan_release(&rcu_gp_sync); /* pairs with rcu.c:reclaim */
    urcu_memb_read_unlock();
    return found;
}

unsigned sl_rcu_test_prune(sl_spanset_t *set) {
    struct rcu_set *c = rset(set);
    bool wake = false;
    lock_set(c);
    unsigned n = prune_locked(c, &wake);
    unlock_set(c);
    if (wake)
        wake_reclaimer();
    return n;
}

unsigned sl_rcu_test_reclaim(void) {
    return reclaim(NULL);
}

void sl_rcu_test_nodes(uint64_t *total, uint64_t *retired) {
    *total = sl_load_relaxed(&xnodes_total);
    /* Exact, unlike xretired_total: every set's retired list and detached batch. */
    *retired = 0;
    for (unsigned id = 0; id < rcu_nsets; id++) {
        struct rcu_set *c = rcu_sets[id];
        lock_set(c);
        *retired += c->nretired + c->ngp;
        unlock_set(c);
    }
}
#endif /* SL_TEST_HOOKS */
