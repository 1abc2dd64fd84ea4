// Models of remote free vs sweep (alloc/malloc.c: free_remote; alloc/span.c: sl_span_sweep)
// and of the sweep policy's hand-offs (alloc/central.c in sweep mode: sl_central_sweep_one,
// file_swept, uncache, sl_central_sweep_advance; alloc/policy_sweep.c: start_cycle_locked,
// the background sweeper).
//
// Scenario "owner-sweeps-two-freers": thread 0 owns a span of 3 objects; threads 1 and 2
// each own one object (1 and 2), use it (a plain write) and free it remotely: an OR into
// the span's free bitmap. Thread 0 sweeps twice (takes the bitmap with an exchange, folds
// it into its allocation bitmap) and reuses every slot the sweep gave back (a plain write
// into the object).
// Checked: the owner's reuse is ordered after the freer's last write (rl::var: a data race
// otherwise), no free is lost (each freed slot is either swept or still pending at the end)
// and none is counted twice.
//
// Scenario "sweep-mode-free-then-span-freed" (policy sweep: a free never looks at the
// span's state): threads 1 and 2 free the last two objects of a span; thread 0 sweeps it
// and, once every object is free, gives it to the mheap, which reinitialises the
// descriptor (a plain write of its element size). The freer needs the element size for
// the live-heap count (sl_central_live_freed). Checked: the freer's read of the descriptor
// is ordered before its reuse (rl::var: a data race otherwise).
//
// Scenario "cycle-vs-sweeper" (Go's sweep generations): two spans sit in the unswept
// partial set of generation 1. Thread 1 is the background sweeper (sweep_one: read the
// generation, pop an unswept span, sweep it, file it by the roles); thread 0 starts a
// cycle (start_cycle_locked: sweep what is left unswept, then raise the generation, which
// swaps the two partial sets' roles); thread 2 allocates (take_sweep: a swept partial span,
// else an unswept one it sweeps). The sets are mutex-protected lists here: each variant's
// own synchronization is its own model's.
// Checked: Go's invariant -- a span filed into the set that is "swept" for the current
// generation was swept in that generation (else its frees since the last sweep wait a
// whole extra cycle, and a fully freed span is not returned), at the raise the set that
// becomes "swept" is empty, and no span is lost or held twice. Bound: one raise (two
// raises while one sweeper holds a span, which Go's finishsweep_m excludes by waiting for
// in-flight sweepers, are not modelled).
#include "model.hpp"

SL_SITE(free_or, "alloc/malloc.c", rmw, rl::mo_seq_cst);
SL_SITE(sweep_xchg, "alloc/span.c", rmw, rl::mo_acq_rel);
SL_STEP(elemsize_before_or, "alloc/malloc.c",
        "uint32_t elemsize = s->elemsize; ... sl_fetch_or_seqcst(&s->xfree_bits[w], bit)");
SL_SITE(gen_load, "alloc/central.c", load, rl::mo_acquire);
SL_SITE(gen_advance, "alloc/central.c", rmw, rl::mo_acq_rel);
SL_STEP(sweep_one_files_by_popped_gen, "alloc/central.c", "file_swept(s, gen, release_empty)");
SL_STEP(
    uncache_gen_before_sweep, "alloc/central.c",
    "uint64_t gen = ... sl_span_sweep_counts(s, &nremote) ... file_swept(s, gen, release_empty)");
SL_STEP(finish_before_advance, "alloc/policy_sweep.c",
        "sl_central_sweep_one(spc, ctr, false) ... sl_central_sweep_advance()");

static const std::vector<slm::mutant> mutants = {
    {"sweep-xchg-relaxed", "the sweep takes the remote-free bitmap with a relaxed exchange"},
    {"free-or-relaxed", "free_remote ORs its bit relaxed (no release of the object)"},
    {"sweep-load-store", "the sweep reads the bitmap, then stores 0 (not one exchange)"},
    {"elemsize-after-or", "free_remote reads the span's element size after its OR (the sweep "
                          "may have freed the span and the mheap reused the descriptor)"},
    {"file-by-current-gen", "a sweeper files the span it swept by the generation current when "
                            "it files, not the one it swept in (a raise in between: the span "
                            "passes for swept in a cycle it was not swept in)"},
    {"no-finish-sweep", "a cycle starts without sweeping what the last one left unswept"},
};

struct sweep_model : rl::test_suite<sweep_model, 3> {
    rl::atomic<unsigned> xfree;
    rl::var<int> obj[3];
    unsigned swept; // owner-only (thread 0)

    void before() {
        xfree($).store(0, rl::mo_relaxed);
        for (int i = 0; i < 3; i++)
            obj[i]($) = 0;
        swept = 0;
    }

    // span.c:sl_span_sweep, one bitmap word
    void sweep() {
        if (xfree($).load(rl::mo_relaxed) == 0)
            return;
        unsigned remote;
        if (slm::is("sweep-load-store")) {
            remote = xfree($).load(rl::mo_acquire);
            xfree($).store(0, rl::mo_relaxed);
        } else {
            remote = xfree($).exchange(
                0, slm::order(site_sweep_xchg, "sweep-xchg-relaxed", rl::mo_relaxed));
        }
        RL_ASSERT(!(remote & swept)); // a slot freed once is swept once
        swept |= remote;
        for (unsigned i = 0; i < 3; i++)
            if (remote & (1u << i))
                obj[i]($) = -1; // the slot is reused: the owner writes the new object
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            sweep();
            sweep();
        } else {
            obj[idx]($) = (int)idx; // the freer's last use of its object
            unsigned bit = 1u << idx;
            unsigned old =
                xfree($).fetch_or(bit, slm::order(site_free_or, "free-or-relaxed", rl::mo_relaxed));
            RL_ASSERT(!(old & bit));
        }
    }

    void after() {
        unsigned pending = xfree($).load(rl::mo_relaxed);
        RL_ASSERT((swept | pending) == 6u); // objects 1 and 2: swept or still pending
        RL_ASSERT((swept & pending) == 0);
    }
};

// Scenario "sweep-mode-free-then-span-freed".
struct reuse_model : rl::test_suite<reuse_model, 3> {
    rl::atomic<unsigned> xfree;
    rl::var<unsigned> elemsize; // the descriptor: reinitialised when the span is freed
    unsigned swept, live_freed;

    void before() {
        xfree($).store(0, rl::mo_relaxed);
        elemsize($) = 16;
        swept = live_freed = 0;
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            for (int round = 0; round < 2 && swept != 6u; round++) {
                if (xfree($).load(rl::mo_relaxed) == 0)
                    continue;
                swept |= xfree($).exchange(0, site_sweep_xchg);
            }
            if (swept == 6u)     // objects 1 and 2 free, object 0 was already: all free
                elemsize($) = 0; // sl_mheap_free_span; the descriptor is reused
        } else {
            unsigned bit = 1u << idx, size = 0;
            if (!slm::is("elemsize-after-or"))
                size = elemsize($);
            xfree($).fetch_or(bit, site_free_or);
            if (slm::is("elemsize-after-or"))
                size = elemsize($);
            live_freed += size; // sl_central_live_freed
        }
    }
};

// Scenario "cycle-vs-sweeper".
struct cycle_model : rl::test_suite<cycle_model, 3> {
    enum { NSPANS = 2 };
    rl::atomic<unsigned> gen;             // xsweepgen
    rl::mutex set_lock;                   // the sets' own synchronization (see above)
    rl::var<unsigned> set[2];             // partial sets: bitmask of spans
    rl::var<unsigned> last_sweep[NSPANS]; // generation of each span's last sweep (owner's)
    // Bookkeeping (fibers run one at a time: the order they run in is a total order).
    unsigned now;          // the generation's latest value
    unsigned held[NSPANS]; // who holds each span outside the sets (0 = in a set)

    void before() {
        gen($).store(1, rl::mo_relaxed);
        set[0]($) = (1u << NSPANS) - 1; // partial_set(1, unswept) = (1 + 1) & 1 = 0
        set[1]($) = 0;
        for (unsigned i = 0; i < NSPANS; i++) {
            last_sweep[i]($) = 0;
            held[i] = 0;
        }
        now = 1;
    }

    static unsigned partial_set(unsigned g, bool swept) {
        return (g + !swept) & 1;
    }

    // The variant's pop: a span of set i, or -1.
    int pop(unsigned i, unsigned me) {
        set_lock.lock($);
        unsigned m = set[i]($);
        int s = m ? __builtin_ctz(m) : -1;
        if (s >= 0)
            set[i]($) = m & ~(1u << s);
        set_lock.unlock($);
        if (s >= 0) {
            RL_ASSERT(held[s] == 0); // never held twice
            held[s] = me + 1;
        }
        return s;
    }

    // The variant's push, with Go's invariant checked at the moment the span becomes
    // visible in the set.
    void push(unsigned i, int s) {
        set_lock.lock($);
        if (i == partial_set(now, true))
            RL_ASSERT(last_sweep[s]($) == now); // "swept" means swept in this generation
        held[s] = 0;
        set[i]($) = set[i]($) | (1u << s);
        set_lock.unlock($);
    }

    void sweep(int s) {
        last_sweep[s]($) = now; // sl_span_sweep (the bits it takes: see the other scenarios)
    }

    // central.c:sl_central_sweep_one
    bool sweep_one(unsigned me) {
        unsigned g = gen($).load(site_gen_load);
        int s = pop(partial_set(g, false), me);
        if (s < 0)
            return false;
        sweep(s);
        // file_swept: by the generation the span was popped in
        if (slm::is("file-by-current-gen"))
            g = gen($).load(site_gen_load);
        push(partial_set(g, true), s);
        return true;
    }

    void thread(unsigned idx) {
        if (idx == 0) { // policy_sweep.c:start_cycle_locked
            if (!slm::is("no-finish-sweep"))
                while (sweep_one(0))
                    ;
            set_lock.lock($);
            // The set that becomes "swept" (this generation's unswept one) must be empty.
            RL_ASSERT(set[partial_set(now + 1, true)]($) == 0);
            now++;
            gen($).fetch_add(1, site_gen_advance);
            set_lock.unlock($);
        } else if (idx == 1) { // the background sweeper
            sweep_one(1);
            sweep_one(1);
        } else { // an allocation: take_sweep, then the span goes back by uncache
            unsigned g = gen($).load(site_gen_load);
            int s = pop(partial_set(g, true), 2);
            if (s < 0 && (s = pop(partial_set(g, false), 2)) >= 0)
                sweep(s);
            if (s < 0)
                return;
            // uncache in sweep mode: the generation first, then the sweep, then the filing.
            g = gen($).load(site_gen_load);
            sweep(s);
            if (slm::is("file-by-current-gen"))
                g = gen($).load(site_gen_load);
            push(partial_set(g, true), s);
        }
    }

    void after() {
        for (unsigned i = 0; i < NSPANS; i++)
            RL_ASSERT(held[i] == 0); // every span back in a set
        unsigned a = set[0]($), b = set[1]($);
        RL_ASSERT((a & b) == 0 && (a | b) == (1u << NSPANS) - 1);
    }
};

int main(int argc, char **argv) {
    return slm::main(argc, argv, "sweep",
                     {{"owner-sweeps-two-freers", slm::simulate<sweep_model>},
                      {"sweep-mode-free-then-span-freed", slm::simulate<reuse_model>},
                      {"cycle-vs-sweeper", slm::simulate<cycle_model>}},
                     mutants);
}
