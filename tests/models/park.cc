// Model of the park / unpark hand-off (alloc/central.c: uncache, sl_central_note_free_remote;
// alloc/malloc.c: free_remote; alloc/span.c: sl_span_unpark_ready).
//
// A span with 3 objects, all allocated, is owned by thread 0, which gives it back full: it
// stores PARKED, then looks for remote frees (the re-check). Thread 1 frees object 0,
// thread 2 objects 1 and 2, each with the remote-free path: OR its bit, then look at the
// state. Whoever sees both (the park and a free) moves PARKED -> TRANSIT by CAS and makes
// the span available, if frees are still pending (the state word can be ABA: a bit swept
// in an earlier episode); otherwise it parks again and looks once more. Thread 0, if the
// span becomes available, claims it back, sweeps (takes the bits), allocates every slot
// again and parks it a second time: that is the ABA episode.
// Checked: no lost wake-up (never PARKED with a free pending at the end), a span is made
// available only with a free slot, at most once per park, and the owner-only bitmap is
// never touched by two threads without ordering (rl::var).
#include "model.hpp"

SL_SITE(park_store, "alloc/central.c", store, rl::mo_seq_cst);
SL_STEP(owner_recheck, "alloc/central.c", "sl_span_unpark_ready");
SL_SITE(unpark_cas, "alloc/central.c", cas, rl::mo_seq_cst);
SL_STEP(unpark_recheck, "alloc/central.c", "sl_span_unpark_ready");
SL_SITE(repark_store, "alloc/central.c", store, rl::mo_seq_cst);
SL_STEP(repark_recheck, "alloc/central.c", "sl_span_unpark_ready");
SL_SITE(free_or, "alloc/malloc.c", rmw, rl::mo_seq_cst);
SL_SITE(free_state_load, "alloc/malloc.c", load, rl::mo_seq_cst);
SL_SITE(ready_load, "alloc/span.c", load, rl::mo_seq_cst);

static const std::vector<slm::mutant> mutants = {
    {"no-owner-recheck", "uncache parks a full span and does not look for frees after the store"},
    {"park-store-relaxed", "uncache stores PARKED relaxed instead of seq_cst"},
    {"park-store-release", "uncache stores PARKED with release instead of seq_cst"},
    {"free-or-acq-rel", "free_remote ORs its bit with acq_rel instead of seq_cst"},
    {"free-load-acquire", "free_remote reads the state with acquire instead of seq_cst"},
    {"unpark-cas-as-store", "note_free_remote takes PARKED -> TRANSIT by load and store, not CAS"},
    {"no-unpark-recheck",
     "note_free_remote makes the span available without checking frees are pending"},
    {"no-repark-recheck",
     "note_free_remote parks again and does not look for frees after the store"},
};

enum { CACHED = 1, AVAILABLE = 2, PARKED = 3, TRANSIT = 4 };
static const unsigned ALL = 7; // 3 objects

struct park_model : rl::test_suite<park_model, 3> {
    rl::atomic<unsigned> state, xfree;
    rl::atomic<int> parks, puts;
    rl::var<unsigned> alloc; // owner-only: allocated slots as of the last sweep

    void before() {
        state($).store(CACHED, rl::mo_relaxed);
        xfree($).store(0, rl::mo_relaxed);
        parks($).store(0, rl::mo_relaxed);
        puts($).store(0, rl::mo_relaxed);
        alloc($) = ALL;
    }

    // span.c:sl_span_unpark_ready with the default rule: one pending free is enough.
    bool ready() {
        return xfree($).load(site_ready_load) != 0;
    }

    // The variant's put_available: the span becomes AVAILABLE (release) for a claimer.
    void put_available() {
        RL_ASSERT(xfree($).load(rl::mo_relaxed) != 0); // an available span has a free slot
        puts($).fetch_add(1, rl::mo_relaxed);
        state($).store(AVAILABLE, rl::mo_release);
    }

    // central.c:sl_central_note_free_remote
    void note_free_remote() {
        for (;;) {
            unsigned parked = PARKED;
            if (slm::is("unpark-cas-as-store")) {
                if (state($).load(site_unpark_cas) != PARKED)
                    return;
                state($).store(TRANSIT, site_unpark_cas);
            } else if (!state($).compare_exchange_strong(parked, TRANSIT, site_unpark_cas)) {
                return;
            }
            if (slm::is("no-unpark-recheck") || ready()) {
                put_available();
                return;
            }
            state($).store(PARKED, site_repark_store);
            if (slm::is("no-repark-recheck"))
                return;
            if (!ready())
                return;
        }
    }

    // central.c:uncache of a full span
    void park() {
        parks($).fetch_add(1, rl::mo_relaxed);
        state($).store(PARKED,
                       slm::order(slm::is("park-store-release") ? rl::mo_release : site_park_store,
                                  "park-store-relaxed", rl::mo_relaxed));
        if (!slm::is("no-owner-recheck") && ready())
            note_free_remote();
    }

    // malloc.c:free_remote (sl_span_unpark_pct == 0)
    void free_remote(unsigned idx) {
        unsigned bit = 1u << idx;
        unsigned old =
            xfree($).fetch_or(bit, slm::order(site_free_or, "free-or-acq-rel", rl::mo_acq_rel));
        RL_ASSERT(!(old & bit));
        if (state($).load(slm::order(site_free_state_load, "free-load-acquire", rl::mo_acquire)) ==
            PARKED)
            note_free_remote();
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            park();
            // Claimed back if it became available (the variant's AVAILABLE -> TRANSIT CAS),
            // swept, filled again, parked again.
            unsigned avail = AVAILABLE;
            if (state($).compare_exchange_strong(avail, TRANSIT, rl::mo_acq_rel)) {
                unsigned bits = xfree($).exchange(0, rl::mo_acq_rel);
                RL_ASSERT(bits != 0);
                alloc($) = alloc($) & ~bits;
                alloc($) = ALL;
                park();
            }
        } else if (idx == 1) {
            free_remote(0);
        } else {
            free_remote(1);
            free_remote(2);
        }
    }

    void after() {
        unsigned st = state($).load(rl::mo_relaxed);
        RL_ASSERT(!(st == PARKED && xfree($).load(rl::mo_relaxed) != 0)); // lost wake-up
        int parked = parks($).load(rl::mo_relaxed), put = puts($).load(rl::mo_relaxed);
        RL_ASSERT(put == (st == PARKED ? parked - 1 : parked));
    }
};

int main(int argc, char **argv) {
    return slm::main(argc, argv, "park", {{"owner-vs-two-freers", slm::simulate<park_model>}},
                     mutants);
}
