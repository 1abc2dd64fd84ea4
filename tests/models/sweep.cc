// Model of remote free vs sweep (alloc/malloc.c: free_remote; alloc/span.c: sl_span_sweep).
//
// Thread 0 owns a span of 3 objects; threads 1 and 2 each own one object (1 and 2), use it
// (a plain write) and free it remotely: an OR into the span's free bitmap. Thread 0 sweeps
// twice (takes the bitmap with an exchange, folds it into its allocation bitmap) and reuses
// every slot the sweep gave back (a plain write into the object).
// Checked: the owner's reuse is ordered after the freer's last write (rl::var: a data race
// otherwise), no free is lost (each freed slot is either swept or still pending at the end)
// and none is counted twice.
#include "model.hpp"

SL_SITE(free_or, "alloc/malloc.c", rmw, rl::mo_seq_cst);
SL_SITE(sweep_xchg, "alloc/span.c", rmw, rl::mo_acq_rel);

static const std::vector<slm::mutant> mutants = {
    {"sweep-xchg-relaxed", "the sweep takes the remote-free bitmap with a relaxed exchange"},
    {"free-or-relaxed", "free_remote ORs its bit relaxed (no release of the object)"},
    {"sweep-load-store", "the sweep reads the bitmap, then stores 0 (not one exchange)"},
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

int main(int argc, char **argv) {
    return slm::main(argc, argv, "sweep", {{"owner-sweeps-two-freers", slm::simulate<sweep_model>}},
                     mutants);
}
