/* home -- a thread owns more than its current span (mimalloc's thread-owned pages are the
 * model). Per class, the mcache keeps a home list of spans it owns, capped in bytes
 * ($SPANLAB_HOME_KIB per class and thread); its frees into any span it owns are
 * owner-local (malloc.c tests the span's owner field).
 *
 * An exhausted span stays the cache's, at the tail of the list (while there is room): the
 * thread's frees into it stay plain stores and other threads' wait in its remote bits. A
 * refill turns the list from the head, sweeping each span once; one that
 * $SPANLAB_HOME_TURNS turns in a row found still full is cold and parks with its home
 * recorded (so does an exhausted span without room). If the first free into a parked span
 * comes from the home thread (same cache, same incarnation: caches are recycled), that
 * thread takes it back onto its list without the mcentral. If it comes from another
 * thread that allocates from the span's class and has room, that thread adopts the span
 * onto its own list (mimalloc's reclaim-on-free): a span whose objects two threads free,
 * or whose owner exited (larson's generations), then collects frees in one owner's list
 * instead of passing through the mcentral with one free slot per trip. Remote unparks by
 * a thread that does not allocate from the class, spans past the cap (spills) and thread
 * exit go to the mcentral.
 *
 * A refill takes a listed span whose sweep finds at least $SPANLAB_HOME_YIELD percent of
 * its slots free. Under random frees every span of a list collects a few, and taking the
 * first span with one free slot ran a refill every few allocations, each sweeping a cold
 * descriptor (larson: 285 refills per 1000 allocations). A span short of the yield keeps
 * its slots and waits at the tail, collecting more; after SL_HOME_LOOKS of them the
 * refill takes a new span from the mcentral while the cap has room for it beside the
 * list, else the freest one it saw (README, "A yield per refill").
 *
 * Refill order: current span, home list, mcentral. sl_scavenge drains the lists: the
 * calling thread's at once, others' at their next refill (a drain epoch, Go's flushGen).
 * Neighbours: central.c (park/unpark, claim), mcache.c, malloc.c. */
#include <errno.h>
#include <stdlib.h>

#include "central.h"
#include "counters.h"
#include "env.h"
#include "fatal.h"
#include "policy.h"

/* Set once by configure (or by a test: sl_home_set). */
static size_t home_cap = (size_t)SL_HOME_DEFAULT_KIB << 10;
static unsigned home_turns = SL_HOME_DEFAULT_TURNS;
static unsigned home_yield = SL_HOME_DEFAULT_YIELD;
static _Atomic uint64_t xdrain_epoch; /* bumped by sl_scavenge */

static size_t span_bytes(const sl_span_t *s) {
    return (size_t)s->npages << SL_PAGE_SHIFT;
}

static int home_configure(void) {
    unsigned kib = (unsigned)(home_cap >> 10);
    if (sl_env_unsigned(SL_ENV_HOME_KIB, &kib) < 0)
        return -EINVAL;
    home_cap = (size_t)kib << 10;
    if (sl_env_unsigned(SL_ENV_HOME_TURNS, &home_turns) < 0)
        return -EINVAL;
    return sl_env_unsigned(SL_ENV_HOME_YIELD, &home_yield) < 0 ? -EINVAL : 0;
}

sl_home_settings_t sl_home_get(void) {
    return (sl_home_settings_t){
        .cap_bytes = home_cap, .turns = home_turns, .yield_pct = home_yield};
}

void sl_home_set(sl_home_settings_t h) {
    home_cap = h.cap_bytes;
    home_turns = h.turns;
    home_yield = h.yield_pct;
}

/* Give s, which c owns, to the mcentral. */
static void give_back(sl_mcache_t *c, sl_span_t *s) {
    s->home = NULL;
    sl_central_uncache(s, (uintptr_t)c);
}

static sl_span_t *home_pop(sl_home_list_t *l) {
    sl_span_t *s = l->head;
    l->head = s->home_next;
    if (!l->head)
        l->tail = NULL;
    s->home_next = NULL;
    l->nspans--;
    return s;
}

static void drain_lists(sl_mcache_t *c) {
    c->draining = true; /* no adoption while we give spans back */
    for (unsigned spc = 0; spc < SL_NUM_SPAN_CLASSES; spc++) {
        sl_home_list_t *l = &c->home[spc];
        while (l->head)
            give_back(c, home_pop(l));
    }
    c->draining = false;
}

/* Room for k more spans like s on c's home list of its class (the spans of a class are
 * all one size). */
static bool room_for(sl_mcache_t *c, const sl_span_t *s, size_t k) {
    return (c->home[s->spanclass].nspans + k) * span_bytes(s) <= home_cap;
}

static bool has_room(sl_mcache_t *c, const sl_span_t *s) {
    return room_for(c, s, 1);
}

/* At the head: s comes with a pending free (a home return or an adoption); use it first. */
static void home_push(sl_mcache_t *c, sl_span_t *s) {
    sl_home_list_t *l = &c->home[s->spanclass];
    s->home_full_turns = 0;
    s->home_next = l->head;
    l->head = s;
    if (!l->tail)
        l->tail = s;
    l->nspans++;
}

/* At the tail: s was just exhausted; it collects frees while the list turns. */
static void home_append(sl_mcache_t *c, sl_span_t *s) {
    sl_home_list_t *l = &c->home[s->spanclass];
    s->home_next = NULL;
    if (l->tail)
        l->tail->home_next = s;
    else
        l->head = s;
    l->tail = s;
    l->nspans++;
}

/* Park s, which c owns and which is full, with its home recorded: our own first free
 * brings it back to our list (home_unparked). */
static void park_home(sl_mcache_t *c, sl_span_t *s) {
    /* The home goes first: the PARKED store in uncache publishes it. model home.cc:home_set */
    s->home = c;
    s->home_gen = c->gen;
    sl_central_uncache(s, (uintptr_t)c);
}

static bool home_unparked(sl_span_t *s) {
    sl_mcache_t *c = sl_tls_mcache;
    /* Plain reads: the parker wrote them before its seq_cst PARKED store, which our
     * winning CAS read. pairs with central.c:uncache. model home.cc:home_check */
    if (s->home == (const void *)c && s->home_gen == c->gen) {
        sl_central_claim_unparked(s, (uintptr_t)c, false);
        if (!has_room(c, s)) {
            sl_counter_bump(s->spanclass, SL_CTR_spills);
            give_back(c, s);
            return true;
        }
        home_push(c, s);
        return true;
    }
    /* Another thread's span (or a dead thread's: the home is stale). Adopt it if this
     * thread allocates from the class (its current span is real), is not giving its
     * spans back, and has room: the span then collects frees in our list instead of going
     * through the mcentral with one free slot (mimalloc's reclaim-on-free).
     * model home.cc:adopt_check */
    if (c == &sl_mcache_empty || c->draining || c->alloc[s->spanclass] == &sl_span_empty ||
        !has_room(c, s))
        return false;
    sl_central_claim_unparked(s, (uintptr_t)c, true);
    home_push(c, s);
    return true;
}

static sl_span_t *home_refill(sl_mcache_t *c, unsigned spc, sl_span_t *exhausted) {
    uint64_t epoch = sl_load_relaxed(&xdrain_epoch);
    if (c->drain_seen != epoch) {
        c->drain_seen = epoch;
        drain_lists(c);
    }
    sl_home_list_t *l = &c->home[spc];
    /* The spans on the list before this refill: each is looked at once at most. */
    size_t n = l->nspans;
    if (exhausted != &sl_span_empty) {
        /* Full. With room it stays ours, at the tail: our frees into it stay owner-local
         * and others' wait in its free bits until the list comes round to it. Without
         * room it parks. */
        if (has_room(c, exhausted)) {
            exhausted->home_full_turns = 0;
            home_append(c, exhausted);
        } else
            park_home(c, exhausted);
    }
    sl_span_t *take = NULL, *best = NULL; /* best: the freest span short of the yield */
    unsigned short_of_yield = 0;
    for (; n > 0; n--) {
        sl_span_t *s = home_pop(l);
        sl_span_sweep(s);
        unsigned nfree = sl_span_free_slots(s);
        if (nfree > 0) {
            s->home_full_turns = 0;
            if (nfree >= sl_span_share(s, home_yield)) {
                take = s;
                break;
            }
            /* Short of the yield: the freer of s and best stays off the list as best, the
             * other waits at the tail. */
            if (!best || nfree > sl_span_free_slots(best)) {
                sl_span_t *t = best;
                best = s;
                s = t;
            }
            if (s)
                home_append(c, s);
            if (++short_of_yield == SL_HOME_LOOKS)
                break;
            continue;
        }
        /* Still full after a whole turn of the list. Frees into our spans come at random,
         * so a span the last turn missed may well be hit during the next: it keeps its
         * place for home_turns turns (parking and taking it home again costs atomics on
         * both sides). After that it is cold: it parks and leaves room. */
        if (++s->home_full_turns < home_turns) {
            home_append(c, s);
            continue;
        }
        park_home(c, s);
    }
    /* None with the yield: a new span, when the cap has room for it beside the list and
     * best (without, it would park at its first exhaustion, and the next refill would
     * take another). At the cap, or out of memory, the freest we saw. */
    if (!take && (!best || room_for(c, best, 2)))
        take = sl_central_cache(spc, (uintptr_t)c, 0);
    if (!take) {
        take = best;
        best = NULL;
    }
    if (best)
        home_append(c, best);
    return take;
}

static void home_flush(sl_mcache_t *c) {
    drain_lists(c);
    c->draining = true; /* the thread is leaving: adopt nothing more */
}

static void home_drain(void) {
    sl_fetch_add_relaxed(&xdrain_epoch, 1);
    sl_mcache_t *c = sl_mcache_current();
    if (c) {
        c->drain_seen = sl_load_relaxed(&xdrain_epoch);
        drain_lists(c);
    }
}

const sl_policy_t sl_policy_home = {
    .name = "home",
    .summary = "a thread keeps a capped list of the spans it allocates from, exhausted ones "
               "too; a refill takes one with SPANLAB_HOME_YIELD % of its slots free, one still "
               "full after SPANLAB_HOME_TURNS turns of the list in a row parks, and the first "
               "free into it brings it home, or to the freer's list (adoption)",
    .nsets = 1,
    .configure = home_configure,
    .refill = home_refill,
    .unparked = home_unparked,
    .flush = home_flush,
    .drain = home_drain,
};
