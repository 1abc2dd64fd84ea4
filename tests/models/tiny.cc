// Model of the tiny-block reference count (alloc/tiny.c: release_block, sl_tiny_free).
//
// A 16-byte block holds two tiny objects, at offsets 0 and 8. Thread 0 is the cache that
// placed them; it lets go of the block by publishing its placed mask (an OR into the high
// half of the block word). Threads 1 and 2 own one object each, use it (a plain write) and
// free it (an OR of its offset bit into the low half). Whoever's OR completes the word
// (placed published, freed == placed) frees the 16-byte slot, which is then reused (plain
// writes over the whole block).
// Checked: the slot is freed exactly once, and its reuse is ordered after both objects'
// last writes (rl::var: a data race otherwise).
#include "model.hpp"

SL_SITE(release_or, "alloc/tiny.c", rmw, rl::mo_acq_rel);
SL_SITE(free_or, "alloc/tiny.c", rmw, rl::mo_acq_rel);

static const std::vector<slm::mutant> mutants = {
    {"free-or-relaxed", "sl_tiny_free ORs its bit relaxed"},
    {"release-or-relaxed", "release_block publishes the placed mask relaxed"},
    {"free-compare-old", "sl_tiny_free compares the freed mask without its own bit"},
    {"release-store", "release_block stores the placed mask instead of ORing it"},
};

enum : unsigned { PLACED_SHIFT = 16, FREED_MASK = 0xffff, PLACED = (1u << 0) | (1u << 8) };

struct tiny_model : rl::test_suite<tiny_model, 3> {
    rl::atomic<unsigned> word;
    rl::atomic<int> slot_frees;
    rl::var<int> obj[2];

    void before() {
        word($).store(0, rl::mo_relaxed);
        slot_frees($).store(0, rl::mo_relaxed);
        obj[0]($) = 0;
        obj[1]($) = 0;
    }

    void free_slot() {
        slot_frees($).fetch_add(1, rl::mo_relaxed);
        obj[0]($) = -1; // reused
        obj[1]($) = -1;
    }

    // tiny.c:release_block
    void release_block() {
        unsigned old;
        if (slm::is("release-store")) {
            old = word($).load(rl::mo_acquire);
            word($).store(PLACED << PLACED_SHIFT, rl::mo_release);
        } else {
            old =
                word($).fetch_or(PLACED << PLACED_SHIFT,
                                 slm::order(site_release_or, "release-or-relaxed", rl::mo_relaxed));
        }
        unsigned freed = old & FREED_MASK;
        RL_ASSERT(!(freed & ~PLACED));
        if (freed == PLACED)
            free_slot();
    }

    // tiny.c:sl_tiny_free
    void tiny_free(unsigned off) {
        unsigned bit = 1u << off;
        unsigned old =
            word($).fetch_or(bit, slm::order(site_free_or, "free-or-relaxed", rl::mo_relaxed));
        RL_ASSERT(!(old & bit));
        unsigned placed = old >> PLACED_SHIFT;
        if (placed) {
            RL_ASSERT(placed & bit);
            unsigned freed =
                slm::is("free-compare-old") ? old & FREED_MASK : (old | bit) & FREED_MASK;
            if (freed == placed)
                free_slot();
        }
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            release_block();
        } else {
            obj[idx - 1]($) = (int)idx; // the owner's last use
            tiny_free(idx == 1 ? 0 : 8);
        }
    }

    void after() {
        RL_ASSERT(slot_frees($).load(rl::mo_relaxed) == 1);
    }
};

int main(int argc, char **argv) {
    return slm::main(argc, argv, "tiny", {{"cache-and-two-freers", slm::simulate<tiny_model>}},
                     mutants);
}
