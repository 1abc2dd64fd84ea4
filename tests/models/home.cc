// Model of the home policy's return hand-off (alloc/policy_home.c: home_refill,
// home_unparked; alloc/central.c: uncache, sl_central_note_free_remote,
// sl_central_claim_unparked; alloc/malloc.c: free_remote; alloc/mcache.c: the cache's
// incarnation, bumped by sl_mcache_flush and mcache_create).
//
// Scenario "home-free-vs-remote-free" (2 threads): thread 0 holds cache C; its span S of 3
// objects, all allocated, is exhausted. home_refill records S's home (C and C's
// incarnation: plain writes) and gives S back: owner CAS C -> 0, the sweep, PARKED
// (seq_cst), the re-check. Then thread 0 frees object 0 and thread 1 (cache D) object 1,
// after a last write into it; both take the remote path (S has no owner while parked).
// Whoever wins PARKED -> TRANSIT asks the policy: the home thread takes S onto its home
// list (owner CAS 0 -> C, CACHED); thread 1 does not allocate from S's class, so if it
// wins, S goes to the mcentral. Thread 0 then
// refills from its home list (sweeps S: takes the remote bits), reuses every slot it got
// back (a plain write into the object), fills S and parks it again, home again (the ABA
// episode of the state word).
// Scenario "recycled-cache" (3 threads): thread 0 parks S the same way, then exits: its
// flush bumps C's incarnation and puts C on the free list (a mutex, as mcache.c's
// free_lock). Thread 2 takes C if it is there (mcache_create: a new incarnation) or uses a
// cache of its own, and frees object 2; thread 1 frees object 1.
// Scenario "adoption" (2 threads): the first scenario, but thread 1 allocates from S's
// class and has room: if it wins, it adopts S onto its own home list (mimalloc's
// reclaim-on-free), then refills from it (sweeps S, reuses the slots it got back).
// Checked: S ends in exactly one place (a home list, the mcentral, or parked with no free
// pending: no lost wake-up), one destination per park; it goes home only to the cache
// incarnation that parked it, to another thread's list only by adoption by a thread that
// allocates from the class (a recycled cache's new thread that does not goes to the
// mcentral); a span comes home with a free slot; the home fields the unparker reads
// and the slots the home thread reuses are ordered after their writers (rl::var: a data
// race otherwise); no free is lost or swept twice.
// Not a mutant here: a relaxed PARKED -> TRANSIT CAS. The freer's own seq_cst load of the
// state (free_remote) already orders the home fields it reads after the parker's writes
// in these scenarios; the CAS's order is the park model's (park.cc).
#include "model.hpp"

SL_STEP(home_set, "alloc/policy_home.c",
        "->home = c; ... ->home_gen = c->gen; ... sl_central_uncache(");
SL_SITE(uncache_owner_cas, "alloc/central.c", cas, rl::mo_acq_rel);
SL_SITE(park_store, "alloc/central.c", store, rl::mo_seq_cst);
SL_SITE(unpark_cas, "alloc/central.c", cas, rl::mo_seq_cst);
SL_STEP(unparked_call, "alloc/central.c", "sl_policy_active->unparked(s)");
SL_STEP(adopt_check, "alloc/policy_home.c",
        "c->alloc[s->spanclass] == &sl_span_empty ... !has_room(c, s)");
SL_STEP(home_check, "alloc/policy_home.c",
        "s->home ... (const void *)c ... s->home_gen ... c->gen");
SL_SITE(claim_cas, "alloc/central.c", cas, rl::mo_acq_rel);
SL_SITE(claim_state_store, "alloc/central.c", store, rl::mo_relaxed);
SL_SITE(free_or, "alloc/malloc.c", rmw, rl::mo_seq_cst);
SL_SITE(free_state_load, "alloc/malloc.c", load, rl::mo_seq_cst);
SL_SITE(ready_load, "alloc/span.c", load, rl::mo_seq_cst);
SL_SITE(sweep_xchg, "alloc/span.c", rmw, rl::mo_acq_rel);
SL_STEP(flush_gen, "alloc/mcache.c", "c->gen++");
SL_STEP(create_gen, "alloc/mcache.c", "c->gen = gen + 1");

static const std::vector<slm::mutant> mutants = {
    {"home-after-park", "home_refill records S's home after giving it back (after the PARKED "
                        "store that publishes it)"},
    {"no-home-check", "home_unparked takes any unparked span home, whoever freed into it"},
    {"no-gen-check", "home_unparked does not compare the incarnation (a recycled cache's new "
                     "thread takes home a span its predecessor parked)"},
    {"adopt-any", "home_unparked adopts another thread's span whether or not it allocates from "
                  "the class"},
    {"home-sweep-relaxed", "the sweep of a span taken from the home list takes the remote bits "
                           "with a relaxed exchange"},
};

enum { CACHED = 1, AVAILABLE = 2, PARKED = 3, TRANSIT = 4 };
enum { NOCACHE = 0, C = 1, D = 2, E = 3 }; // cache identities (mcache addresses)

enum { PLAIN = 0, RECYCLE = 1, ADOPT = 2 }; // the scenarios

template <int Kind> struct home_model : rl::test_suite<home_model<Kind>, Kind == RECYCLE ? 3 : 2> {
    static const bool Recycle = Kind == RECYCLE;
    rl::atomic<unsigned> state, xfree, owner;
    rl::var<unsigned> home, home_gen; // s->home, s->home_gen: plain, published by the park
    rl::var<unsigned> gen_c;          // C's incarnation (c->gen), C's holder only
    rl::var<int> list_c;              // C's home list holds S (C's holder only)
    rl::var<int> list_d;              // D's home list holds S (thread 1 only)
    rl::var<int> obj[3];              // the objects' contents
    rl::var<int> pool_has_c;          // mcache.c's free list holds C (under free_lock)
    rl::mutex free_lock;
    // Bookkeeping for after() (fibers: plain members are safe; not part of the protocol).
    unsigned cache[3]; // each thread's cache
    bool allocates[3]; // its cache allocates from S's class and has room (may adopt)
    unsigned parks, to_home, to_central, pushed_partial, freed, swept, adopted;
    unsigned parked_by, parked_gen, home_by, home_by_gen, adopted_by;

    void before() {
        state($).store(CACHED, rl::mo_relaxed);
        xfree($).store(0, rl::mo_relaxed);
        owner($).store(C, rl::mo_relaxed);
        home($) = NOCACHE;
        home_gen($) = 0;
        gen_c($) = 1;
        list_c($) = 0;
        list_d($) = 0;
        pool_has_c($) = 0;
        for (int i = 0; i < 3; i++)
            obj[i]($) = 0;
        cache[0] = C;
        cache[1] = D;
        cache[2] = E;
        allocates[0] = true;
        allocates[1] = Kind == ADOPT;
        allocates[2] = false;
        parks = to_home = to_central = pushed_partial = freed = swept = adopted = 0;
        parked_by = parked_gen = home_by = home_by_gen = adopted_by = 0;
    }

    unsigned cache_gen(unsigned c) {
        return c == C ? (unsigned)gen_c($) : 1;
    }

    // span.c:sl_span_unpark_ready with the default rule: one pending free is enough.
    bool ready() {
        return xfree($).load(site_ready_load) != 0;
    }

    // span.c:sl_span_sweep, one word: the owner takes the remote bits.
    unsigned sweep(bool from_home) {
        if (xfree($).load(rl::mo_relaxed) == 0)
            return 0;
        unsigned bits = xfree($).exchange(
            0, from_home ? slm::order(site_sweep_xchg, "home-sweep-relaxed", rl::mo_relaxed)
                         : site_sweep_xchg);
        RL_ASSERT(!(bits & swept)); // a free is swept once
        swept |= bits;
        return bits;
    }

    // The variant's push of a span with a free slot (release), for a claimer elsewhere.
    // `unparked`: from the unpark (its free slot is a pending free) or from uncache (the
    // sweep there gave it free slots).
    void push_central(bool unparked) {
        RL_ASSERT(!unparked || xfree($).load(rl::mo_relaxed) != 0); // it has a free slot
        to_central++;
        state($).store(AVAILABLE, rl::mo_release);
    }

    // central.c:sl_central_claim_unparked
    void claim(unsigned c) {
        unsigned none = NOCACHE;
        bool ok = owner($).compare_exchange_strong(none, c, site_claim_cas);
        RL_ASSERT(ok); // a parked span has no owner
        state($).store(CACHED, site_claim_state_store);
        home($) = NOCACHE;
    }

    void onto_list(unsigned c) {
        RL_ASSERT(xfree($).load(rl::mo_relaxed) != 0); // it arrives with a free slot
        if (c == C)
            list_c($) = 1;
        else if (c == D)
            list_d($) = 1;
        // (E's list: only under a mutant; nobody refills from it)
    }

    // policy_home.c:home_unparked, run by the thread that won PARKED -> TRANSIT: its own
    // span (same cache, same incarnation) comes home; another thread's (or a dead
    // thread's: a stale home) is adopted by a thread that allocates from the class and
    // has room; anything else goes to the mcentral.
    bool home_unparked(unsigned me) {
        unsigned c = cache[me];
        bool mine = (slm::is("no-home-check") || home($) == c) &&
                    (slm::is("no-gen-check") || home_gen($) == cache_gen(c));
        if (mine) {
            claim(c);
            to_home++;
            home_by = c;
            home_by_gen = cache_gen(c);
            onto_list(c);
            return true;
        }
        if (!allocates[me] && !slm::is("adopt-any"))
            return false;
        claim(c);
        adopted++;
        adopted_by = me;
        onto_list(c);
        return true;
    }

    // home_refill: S from the home list, swept, every slot it got back reused.
    void refill_from_list() {
        unsigned bits = sweep(true);
        RL_ASSERT(bits != 0);
        for (unsigned i = 0; i < 3; i++)
            if (bits & (1u << i))
                obj[i]($) = -1; // the slot is reused
    }

    // central.c:sl_central_note_free_remote
    void note_free_remote(unsigned me) {
        for (;;) {
            unsigned parked = PARKED;
            if (!state($).compare_exchange_strong(parked, TRANSIT, site_unpark_cas))
                return;
            if (ready()) {
                if (home_unparked(me))
                    return;
                push_central(true);
                return;
            }
            state($).store(PARKED, rl::mo_seq_cst); // park.cc checks the re-park's orders
            if (!ready())
                return;
        }
    }

    // policy_home.c:home_refill of the exhausted S (home = true), or give_back (a drained
    // home list: no home), then central.c:uncache.
    void park_home(unsigned me, bool with_home = true) {
        unsigned c = cache[me];
        if (!with_home) {
            home($) = NOCACHE;
        } else if (!slm::is("home-after-park")) {
            home($) = c;
            home_gen($) = cache_gen(c);
        }
        unsigned cur = c;
        bool ok = owner($).compare_exchange_strong(cur, NOCACHE, site_uncache_owner_cas);
        RL_ASSERT(ok);
        if (sweep(false)) { // frees landed since the last sweep: not full, no park
            pushed_partial++;
            push_central(false);
            return;
        }
        parks++;
        parked_by = c;
        parked_gen = cache_gen(c);
        state($).store(PARKED, site_park_store);
        if (with_home && slm::is("home-after-park")) {
            home($) = c;
            home_gen($) = cache_gen(c);
        }
        if (ready()) // the owner's re-check
            note_free_remote(me);
    }

    // malloc.c:free_remote (sl_span_unpark_pct == 0), after the freer's last write.
    void free_remote(unsigned me, unsigned idx) {
        obj[idx]($) = (int)me + 10;
        unsigned bit = 1u << idx;
        freed |= bit;
        unsigned old = xfree($).fetch_or(bit, site_free_or);
        RL_ASSERT(!(old & bit));
        if (state($).load(site_free_state_load) == PARKED)
            note_free_remote(me);
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            park_home(0);
            if (Recycle) {
                // sl_mcache_flush: a new incarnation, the home list drained (S is on it
                // if our re-check brought it home), C back on the free list.
                gen_c($) = gen_c($) + 1;
                if (list_c($)) {
                    list_c($) = 0;
                    park_home(0, false);
                }
                free_lock.lock($);
                pool_has_c($) = 1;
                free_lock.unlock($);
                return;
            }
            free_remote(0, 0);
            if (list_c($)) {
                list_c($) = 0;
                refill_from_list();
                park_home(0); // filled again, cold again: it parks from the list
            }
        } else if (idx == 1) {
            free_remote(1, 1);
            if (list_d($)) { // adopted: our next refill uses it
                list_d($) = 0;
                refill_from_list();
            }
        } else {
            // mcache_create: C if the free list has it (a new incarnation), else a cache of
            // its own.
            free_lock.lock($);
            bool took = pool_has_c($) != 0;
            if (took)
                pool_has_c($) = 0;
            free_lock.unlock($);
            if (took) {
                gen_c($) = gen_c($) + 1;
                cache[2] = C;
            }
            free_remote(2, 2);
        }
    }

    void after() {
        unsigned st = state($).load(rl::mo_relaxed), pending = xfree($).load(rl::mo_relaxed);
        RL_ASSERT(!(st == PARKED && pending != 0)); // lost wake-up
        RL_ASSERT(to_home + adopted + to_central - pushed_partial ==
                  parks - (st == PARKED));                               // one per park
        RL_ASSERT((swept | pending) == freed && (swept & pending) == 0); // no free lost
        if (to_home) { // only to the incarnation that parked it
            RL_ASSERT(home_by == parked_by && home_by_gen == parked_gen);
        }
        if (adopted) { // only by a thread that allocates from the class
            RL_ASSERT(allocates[adopted_by]);
        }
    }
};

int main(int argc, char **argv) {
    return slm::main(argc, argv, "home",
                     {{"home-free-vs-remote-free", slm::simulate<home_model<PLAIN>>},
                      {"recycled-cache", slm::simulate<home_model<RECYCLE>>},
                      {"adoption", slm::simulate<home_model<ADOPT>>}},
                     mutants);
}
