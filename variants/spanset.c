/* spanset -- a C port of Go 1.15+'s spanSet (runtime/mspanset.go): a span set is a spine
 * of 512-entry blocks of span pointers indexed by push/pop positions.
 *
 * Algorithm:    push = fetch-add on tail (the slot is claimed), find the block for
 *               position/512 (installing one from the block pool under the spine lock when
 *               missing), then store the span into the slot with release. pop = CAS head
 *               from h to h+1 while h < tail, then load the slot with acquire, spinning while
 *               the pusher has claimed it but not yet stored; clear the slot and bump the
 *               block's popped count; whoever brings it to 512 clears the spine entry and
 *               returns the block to the pool. As in Go, pop returns NULL (set looks empty)
 *               when the head's block is not installed yet.
 * Positions:    Go packs 32-bit head and tail into one word and resets both when the world is
 *               stopped (finishsweep_m); a C malloc never stops the world. Here head and tail
 *               are separate 64-bit counters that never reset: 2^64 pushes do not happen
 *               (585 years at 10^9 pushes/s). Separate words are enough because both only
 *               grow: if pop saw h < t and then its CAS moves head from h, tail is still > h,
 *               so slot h was claimed by a pusher. The spine, which Go grows by doubling
 *               between resets, is here a ring of SS_RING entries indexed by
 *               (position/512) mod SS_RING; each block records which position/512 it serves
 *               (xtop). Entry k can be reused once its block is fully popped, so the ring
 *               bounds a set to (SS_RING-1)*512 spans (8.4 M spans = 64 GiB of 8 KiB
 *               spans); a pusher that finds its entry still held waits for poppers.
 *               The ring is one off-heap allocation per set, made on first push.
 * Out of memory: push returns -ENOMEM, before claiming a position, when the ring cannot be
 *               allocated or the set's reserve block cannot be had. Every set holds one
 *               block in reserve (taken from the pool on its first push, refilled by the
 *               push after an install used it), so a pusher that claimed a position always
 *               finds a block: the pool first, else the reserve. Only if more than 512
 *               pushes to one set are in flight at once while metadata is exhausted can an
 *               installer find neither; it then waits for poppers to recycle a block or for
 *               memory (a stall under extreme exhaustion, never a lost span or a crash).
 *               Cost: one 4 KiB block per set that was ever pushed to.
 * Progress:     push is wait-free except once per 512 pushes (spine lock, block install).
 *               pop is lock-free in its head CAS but blocks on a claimed, unfilled slot
 *               (on the specific pusher), and may report empty while a block is installed.
 * ABA/reclaim:  head/tail never repeat (64-bit, monotonic). A block is recycled only after
 *               all 512 of its slots were popped, by the last popper to finish (Go's fix
 *               39380e8e01), so no pusher or popper still aims at it. The block pool is a
 *               Treiber stack over block ids with a 32-bit counter tag in the same 64-bit
 *               word (no 16-byte CAS needed); block memory comes from sl_os_meta_alloc and is
 *               never unmapped, so a stale read of a pool link is harmless. Stale spans are
 *               not possible: a span is in at most one slot and owns nothing else here.
 * Lock order:   spine lock -> pool lock -> metadata lock (os.c); never the heap lock (the
 *               mheap is never entered from a variant).
 * TSan:         clean with no suppression and no annotation: every hand-off is a C11
 *               atomic TSan understands (slot release/acquire, block publish, pool CAS).
 * Canary:       -DSL_TSAN_CANARY: push stores the slot with a plain store instead of a
 *               release store (the CANARY site); canary_touch pops a span and pushes it
 *               back.
 * Fork:         the atfork handlers hold every spine lock; a child forked while another
 *               thread was between its tail fetch-add and its slot store marks such slots
 *               as tombstones that poppers skip (that span stays with the parent's thread,
 *               which does not exist in the child: a leak in the child, not a hang).
 * Links used:   none of the span's (the set is not intrusive).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "central.h"
#include "fatal.h"
#include "os.h"
#include "stall.h"

#define SS_BLOCK_ENTRIES 512   /* spans per block (Go's spanSetBlockEntries) */
#define SS_RING          16384 /* spine ring entries per class (128 KiB, mapped lazily) */
#define SS_CHUNK_BLOCKS  64    /* blocks per metadata allocation */
#define SS_MAX_CHUNKS    16384 /* up to 1 M blocks (512 M spans) */
#define SS_SPIN_YIELD    64    /* spins on an unfilled slot before sched_yield */

typedef struct ss_block {
    /* Position/512 this block serves while installed; written under the spine lock before
     * the block is published in the ring, read by pushers and poppers after an acquire of
     * the ring entry. */
    _Alignas(64) _Atomic uint64_t xtop;
    _Atomic uint32_t xpopped;    /* slots popped so far (acq_rel adds) */
    uint32_t id;                 /* pool id, immutable */
    _Atomic uint64_t xpool_next; /* pool link: id+1 of the next free block, 0 = end */
    /* The slots: NULL when free; a pusher stores once (release), a popper loads (acquire)
     * and clears. */
    _Alignas(64) _Atomic(sl_span_t *) xslots[SS_BLOCK_ENTRIES];
} ss_block_t;

struct ss_set {
    _Alignas(64) _Atomic uint64_t xhead; /* next position to pop; CAS by poppers */
    _Alignas(64) _Atomic uint64_t xtail; /* next position to push; fetch-add by pushers */
    /* Spine lock: installing a block into the ring and allocating the ring. */
    _Alignas(64) pthread_mutex_t spine_lock;
    _Atomic(_Atomic(ss_block_t *) *) xspine; /* the ring; NULL until the first push */
    /* The reserve block (see Out of memory): stored by pushers before they claim a
     * position (CAS from NULL), taken by an installer under the spine lock (exchange). */
    _Atomic(ss_block_t *) xreserve;
    _Atomic uint64_t xlock_waits;  /* stats, relaxed */
    _Atomic uint64_t xcas_retries; /* stats, relaxed */
    struct ss_set *next_set;       /* every instance, for fork; written by init only */
};

static struct ss_set *ss_sets; /* written by init only (start-up, single-threaded) */

static struct ss_set *ss_of(sl_spanset_t *set) {
    return (struct ss_set *)(void *)set;
}

/* The global block pool. xpool_head = tag << 32 | (id + 1), 0 in the low half = empty. */
static _Atomic uint64_t xpool_head;
static _Atomic(ss_block_t *) ss_chunks[SS_MAX_CHUNKS];        /* id / 64 -> chunk; set once */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER; /* chunk allocation */
static uint32_t pool_nchunks;                                 /* under pool_lock */

static ss_block_t *block_of(uint32_t id) {
    /* Acquire: the chunk table entry was stored before any of its ids was pushed.
     * pairs with spanset.c:pool_grow_locked */
    return sl_load_acquire(&ss_chunks[id / SS_CHUNK_BLOCKS]) + id % SS_CHUNK_BLOCKS;
}

static uint64_t pool_tagged(uint64_t old, uint32_t idp1) {
    return (((old >> 32) + 1) << 32) | idp1;
}

static void pool_put(ss_block_t *b) {
    uint64_t h = sl_load_relaxed(&xpool_head);
    do
        sl_store_relaxed(&b->xpool_next, (uint32_t)h);
    /* Release: the block's reset (popped = 0, all slots NULL, xpool_next) is visible to the
     * thread that takes it. pairs with spanset.c:pool_get. model spanset.cc:pool_put_cas */
    while (!sl_casw_acq_rel(&xpool_head, &h, pool_tagged(h, b->id + 1)));
}

/* A fresh chunk: its first block goes to the caller, the rest to the pool. */
static ss_block_t *pool_grow_locked(void) {
    if (pool_nchunks == SS_MAX_CHUNKS)
        return NULL;
    ss_block_t *chunk = sl_os_meta_alloc(SS_CHUNK_BLOCKS * sizeof(ss_block_t));
    if (!chunk)
        return NULL;
    uint32_t base = pool_nchunks * SS_CHUNK_BLOCKS;
    for (uint32_t i = 0; i < SS_CHUNK_BLOCKS; i++)
        chunk[i].id = base + i;
    /* Release: ids of this chunk resolve to initialised blocks. pairs with
     * spanset.c:block_of */
    sl_store_release(&ss_chunks[pool_nchunks], chunk);
    pool_nchunks++;
    for (uint32_t i = 1; i < SS_CHUNK_BLOCKS; i++)
        pool_put(&chunk[i]);
    return &chunk[0];
}

static ss_block_t *pool_get(struct ss_set *set) {
    for (;;) {
        /* Acquire: pairs with spanset.c:pool_put. model spanset.cc:pool_get_load */
        uint64_t h = sl_load_acquire(&xpool_head);
        uint32_t idp1 = (uint32_t)h;
        if (!idp1) {
            pthread_mutex_lock(&pool_lock);
            ss_block_t *b = NULL;
            if (!(uint32_t)sl_load_relaxed(&xpool_head))
                b = pool_grow_locked();
            pthread_mutex_unlock(&pool_lock);
            if (b)
                return b;
            if (!(uint32_t)sl_load_relaxed(&xpool_head))
                return NULL; /* metadata exhausted */
            continue;
        }
        ss_block_t *b = block_of(idp1 - 1);
        /* May be stale (b popped and reused meanwhile): then the tag makes the CAS fail. */
        uint32_t next = (uint32_t)sl_load_relaxed(&b->xpool_next);
        if (sl_cas_acq_rel(&xpool_head, &h, pool_tagged(h, next)))
            return b;
        sl_count(&set->xcas_retries);
    }
}

/* The ring, allocated on first use; NULL when metadata is exhausted. */
static _Atomic(ss_block_t *) *spine_locked(struct ss_set *set) {
    _Atomic(ss_block_t *) *spine = sl_load_relaxed(&set->xspine);
    if (!spine && (spine = sl_os_meta_alloc(SS_RING * sizeof *spine)) != NULL)
        /* Release: the zeroed ring is visible before a popper uses it. pairs with
         * spanset.c:ss_pop */
        sl_store_release(&set->xspine, spine);
    return spine;
}

static void spine_lock(struct ss_set *set) {
    if (pthread_mutex_trylock(&set->spine_lock) != 0) {
        sl_count(&set->xlock_waits);
        pthread_mutex_lock(&set->spine_lock);
    }
}

/* Before a push claims a position: a ring exists and the set holds its reserve block.
 * False when metadata is exhausted (nothing was claimed). */
static bool push_can_proceed(struct ss_set *set) {
    if (!sl_load_acquire(&set->xspine)) {
        spine_lock(set);
        bool ok = spine_locked(set) != NULL;
        pthread_mutex_unlock(&set->spine_lock);
        if (!ok)
            return false;
    }
    /* Acquire: pairs with the CAS below (another pusher's reserve is a reset block). */
    if (sl_load_acquire(&set->xreserve))
        return true;
    ss_block_t *b = pool_get(set);
    if (!b)
        return false;
    ss_block_t *none = NULL;
    /* acq_rel: the block's reset state travels with it to the installer that takes it.
     * pairs with spanset.c:install_block */
    if (!sl_cas_acq_rel(&set->xreserve, &none, b))
        pool_put(b); /* another pusher filled the reserve first */
    return true;
}

/* Under the spine lock: a block to install, from the pool, else the set's reserve. */
static ss_block_t *install_block(struct ss_set *set) {
    for (;;) {
        ss_block_t *b = pool_get(set);
        /* acq_rel: pairs with spanset.c:push_can_proceed */
        if (!b)
            b = sl_exchange_acq_rel(&set->xreserve, NULL);
        if (b)
            return b;
        /* More than a block's worth of pushers passed push_can_proceed on the one reserve
         * while metadata is exhausted: wait for a popper to recycle a block, or for memory. */
        pthread_mutex_unlock(&set->spine_lock);
        sched_yield();
        spine_lock(set);
    }
}

/* The block for position/512 == top, installing one if needed. */
static ss_block_t *block_for_push(struct ss_set *set, uint64_t top) {
    _Atomic(ss_block_t *) *spine = sl_load_acquire(&set->xspine);
    if (spine) {
        /* Acquire: pairs with the release store below. */
        ss_block_t *b = sl_load_acquire(&spine[top % SS_RING]);
        if (b && sl_load_relaxed(&b->xtop) == top)
            return b;
    }
    spine_lock(set);
    spine = spine_locked(set); /* exists: push_can_proceed made it */
    if (!spine)
        sl_fatal("spanset: no spine after push_can_proceed");
    ss_block_t *b;
    for (;;) {
        b = sl_load_acquire(&spine[top % SS_RING]);
        if (b && sl_load_relaxed(&b->xtop) == top)
            break; /* another pusher installed it */
        if (!b) {
            b = install_block(set);
            if (sl_load_acquire(&spine[top % SS_RING])) {
                /* Installed while install_block waited without the lock: look again. */
                pool_put(b);
                continue;
            }
            sl_store_relaxed(&b->xtop, top);
            /* Release: xtop and the all-NULL slots are visible to whoever finds the block
             * here. pairs with spanset.c:block_for_push (fast path) and ss_pop.
             * model spanset.cc:spine_install */
            sl_store_release(&spine[top % SS_RING], b);
            break;
        }
        /* The entry still holds the block SS_RING positions back: the set holds about
         * SS_RING*512 spans. Wait for poppers to drain it. */
        pthread_mutex_unlock(&set->spine_lock);
        sched_yield();
        pthread_mutex_lock(&set->spine_lock);
    }
    pthread_mutex_unlock(&set->spine_lock);
    return b;
}

static int ss_push(struct ss_set *set, sl_span_t *s) {
    if (!push_can_proceed(set))
        return -ENOMEM;
    /* Before it becomes reachable; published by the slot's release store. */
    sl_store_relaxed(&s->xstate, SL_SPAN_AVAILABLE);
    /* Relaxed: the slot's release/acquire carries the span; a popper that claims the slot
     * before we store spins on it. */
    uint64_t pos = sl_fetch_add_relaxed(&set->xtail, 1);
    ss_block_t *b = block_for_push(set, pos / SS_BLOCK_ENTRIES);
    /* Between claiming the position and publishing the slot: a popper that claims this
     * position meanwhile waits for us (the one blocking step of the set). */
    SL_STALL_POINT();
#ifdef SL_TSAN_CANARY
    /* Canary: the slot published with a plain store (no release). */
    *(sl_span_t **)&b->xslots[pos % SS_BLOCK_ENTRIES] = s; /* CANARY site */
#else
    /* Release: the span (its state AVAILABLE, the giver's sweep) is visible to the popper.
     * pairs with spanset.c:ss_pop. model spanset.cc:slot_store */
    sl_store_release(&b->xslots[pos % SS_BLOCK_ENTRIES], s);
#endif
    return 0;
}

/* A slot claimed by a pusher that does not exist in a fork child (see ss_atfork_child):
 * poppers skip it. */
#define SS_TOMBSTONE ((sl_span_t *)1)

static sl_span_t *ss_pop(struct ss_set *set) {
    /* Acquire: pairs with spanset.c:spine_locked */
    _Atomic(ss_block_t *) *spine = sl_load_acquire(&set->xspine);
    if (!spine)
        return NULL;
    for (;;) {
        uint64_t h = sl_load_acquire(&set->xhead);
        ss_block_t *b;
        for (;;) {
            uint64_t t = sl_load_acquire(&set->xtail);
            if (h >= t)
                return NULL;
            uint64_t top = h / SS_BLOCK_ENTRIES;
            /* Acquire: pairs with spanset.c:block_for_push (release store of the entry).
             * model spanset.cc:spine_load */
            b = sl_load_acquire(&spine[top % SS_RING]);
            if (!b || sl_load_relaxed(&b->xtop) != top)
                return NULL;  /* a pusher is still installing the head's block (as in Go) */
            SL_STALL_POINT(); /* between reading the head and the CAS */
            /* acq_rel: head positions are handed out once; the block cannot be recycled
             * while position h is unpopped, so b stays valid. model spanset.cc:head_cas */
            if (sl_cas_acq_rel(&set->xhead, &h, h + 1))
                break;
            sl_count(&set->xcas_retries); /* h reloaded by the failed CAS */
        }
        _Atomic(sl_span_t *) *slot = &b->xslots[h % SS_BLOCK_ENTRIES];
        sl_span_t *s;
        unsigned spins = 0;
        /* Acquire: pairs with spanset.c:ss_push. NULL: claimed, not yet stored: wait.
         * model spanset.cc:slot_load */
        while (!(s = sl_load_acquire(slot))) {
            if (++spins % SS_SPIN_YIELD == 0)
                sched_yield();
            else
                sl_cpu_relax();
        }
        sl_store_relaxed(slot, NULL);
        /* acq_rel: the last popper sees every other popper's slot clearing before it
         * recycles the block (not the popper of its last position: Go's fix 39380e8e01).
         * pairs with itself in other poppers. model spanset.cc:popped_add */
        if (sl_fetch_add_acq_rel(&b->xpopped, 1) + 1 == SS_BLOCK_ENTRIES) {
            uint64_t top = h / SS_BLOCK_ENTRIES;
            sl_store_relaxed(&b->xpopped, 0);
            /* Release: a pusher that finds the entry empty installs a block after our
             * reset. pairs with spanset.c:block_for_push */
            sl_store_release(&spine[top % SS_RING], NULL);
            pool_put(b);
        }
        if (s != SS_TOMBSTONE)
            return s;
    }
}

static int ss_init(sl_spanset_t *sset, unsigned spc) {
    (void)spc;
    struct ss_set *set = ss_of(sset);
    sl_store_relaxed(&set->xhead, 0);
    sl_store_relaxed(&set->xtail, 0);
    set->next_set = ss_sets;
    ss_sets = set;
    return -pthread_mutex_init(&set->spine_lock, NULL);
}

static void ss_destroy(sl_spanset_t *sset) {
    pthread_mutex_destroy(&ss_of(sset)->spine_lock);
}

static sl_span_t *ss_pop_span(sl_spanset_t *sset) {
    sl_span_t *s = ss_pop(ss_of(sset));
    if (s)
        /* We own it: the slot hand-off ordered everything before. */
        sl_store_relaxed(&s->xstate, SL_SPAN_TRANSIT);
    return s;
}

static int ss_push_span(sl_spanset_t *sset, sl_span_t *s) {
    return ss_push(ss_of(sset), s);
}

static uint64_t ss_count(sl_spanset_t *sset) {
    struct ss_set *set = ss_of(sset);
    uint64_t h = sl_load_relaxed(&set->xhead), t = sl_load_relaxed(&set->xtail);
    return t > h ? t - h : 0;
}

static void ss_stats(sl_spanset_t *sset, struct sl_central_counters *out) {
    struct ss_set *set = ss_of(sset);
    out->lock_waits += sl_load_relaxed(&set->xlock_waits);
    out->cas_retries += sl_load_relaxed(&set->xcas_retries);
}

static void ss_atfork_prepare(void) {
    for (struct ss_set *set = ss_sets; set; set = set->next_set)
        pthread_mutex_lock(&set->spine_lock);
    pthread_mutex_lock(&pool_lock);
}

static void ss_atfork_parent(void) {
    pthread_mutex_unlock(&pool_lock);
    for (struct ss_set *set = ss_sets; set; set = set->next_set)
        pthread_mutex_unlock(&set->spine_lock);
}

/* In the child only this thread exists. A pusher of the parent may have taken a position
 * (tail fetch-add) without installing its block or filling its slot; nobody ever will
 * here, and a popper would wait on that slot forever. Give every position below the tail a
 * block and turn every empty slot into a tombstone that poppers skip. */
static void ss_atfork_child(void) {
    pthread_mutex_init(&pool_lock, NULL);
    for (struct ss_set *set = ss_sets; set; set = set->next_set) {
        pthread_mutex_init(&set->spine_lock, NULL);
        uint64_t h = sl_load_relaxed(&set->xhead), t = sl_load_relaxed(&set->xtail);
        for (uint64_t pos = h; pos < t; pos++) {
            ss_block_t *b = block_for_push(set, pos / SS_BLOCK_ENTRIES);
            _Atomic(sl_span_t *) *slot = &b->xslots[pos % SS_BLOCK_ENTRIES];
            if (!sl_load_relaxed(slot))
                sl_store_relaxed(slot, SS_TOMBSTONE);
        }
    }
}

/* Observer: one more popper and pusher, through the slots' release and acquire. */
static void ss_canary_touch(sl_spanset_t *sset) {
    sl_span_t *s = ss_pop_span(sset);
    if (s != NULL && ss_push_span(sset, s) != 0)
        sl_fatal("spanset: the canary observer could not push back span %p", (void *)s);
}

const sl_central_ops_t sl_central_spanset = {
    .name = "spanset",
    .summary = "Go 1.15+ spanSet: spine ring of 512-entry blocks, 64-bit head/tail, block pool "
               "(lock-free pop, push locks once per block)",
    .set_size = sizeof(struct ss_set),
    .init = ss_init,
    .destroy = ss_destroy,
    .push = ss_push_span,
    .pop = ss_pop_span,
    .count = ss_count,
    .stats = ss_stats,
    .atfork_prepare = ss_atfork_prepare,
    .atfork_parent = ss_atfork_parent,
    .atfork_child = ss_atfork_child,
    .canary_touch = ss_canary_touch,
};
