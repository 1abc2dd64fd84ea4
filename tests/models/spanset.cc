// Model of the spanset variant's core (variants/spanset.c, a port of Go's spanSet).
//
// Sizes shrunk so that block reuse happens within a few operations: blocks of 2 slots, a
// spine ring of 2 entries, a pool of 2 blocks (a pool found empty is waited on here; the C
// code grows it under pool_lock, which is not what this model checks). Push: fetch-add the
// tail, find or install the block of position/2 (spine lock), store the span into its slot
// (release). Pop: CAS the head from h to h+1 while h < tail and the head's block is
// installed, wait for the slot to be filled (acquire), clear it, count the block's pops;
// whoever counts the last one clears the spine entry and puts the block back in the pool
// (a tagged Treiber stack).
// Scenarios: (1) thread 0 pushes spans 1..3 then pops 2, thread 1 pushes spans 4 and 5,
// thread 2 pops 3; (2) thread 0 pushes all 5, threads 1 and 2 pop 2 and 3. A pop that finds
// the set empty retries. Position 4 needs ring entry 0 again, so a block is recycled and
// reused. Each pusher writes into its span before the push and
// the popper reads it (plain accesses).
// Checked: every span is popped exactly once, no data race on the spans or the blocks, and
// the set ends empty.
#include "model.hpp"

SL_SITE(slot_store, "variants/spanset.c", store, rl::mo_release);
SL_SITE(slot_load, "variants/spanset.c", load, rl::mo_acquire);
SL_SITE(head_cas, "variants/spanset.c", cas, rl::mo_acq_rel);
SL_SITE(popped_add, "variants/spanset.c", rmw, rl::mo_acq_rel);
SL_SITE(spine_install, "variants/spanset.c", store, rl::mo_release);
SL_SITE(spine_load, "variants/spanset.c", load, rl::mo_acquire);
SL_SITE(pool_put_cas, "variants/spanset.c", cas, rl::mo_acq_rel);
SL_SITE(pool_get_load, "variants/spanset.c", load, rl::mo_acquire);

static const std::vector<slm::mutant> mutants = {
    {"slot-store-relaxed", "push stores the span into its slot relaxed (the TSan canary's bug)"},
    {"head-load-store", "pop takes the head position by load and store, not CAS"},
    {"recycle-by-position",
     "the popper of a block's last position recycles it, not the last popper to finish"},
    {"popped-relaxed", "the block's popped count is added relaxed"},
    {"no-slot-wait", "pop takes an unfilled slot as empty instead of waiting for its pusher"},
};

enum { BLOCK = 2, RING = 2, NBLOCKS = 2, SPANS = 5 };

template <int REUSE> struct spanset_model : rl::test_suite<spanset_model<REUSE>, 3> {
    rl::atomic<unsigned> xhead, xtail;
    rl::atomic<unsigned> spine[RING]; // block id + 1, 0 = none
    rl::atomic<unsigned> xtop[NBLOCKS];
    rl::atomic<unsigned> xpopped[NBLOCKS];
    rl::atomic<unsigned> xpool_next[NBLOCKS];
    rl::atomic<unsigned> slots[NBLOCKS][BLOCK]; // span + 1, 0 = empty
    rl::atomic<unsigned long long> xpool_head;  // tag << 32 | id + 1
    rl::mutex spine_lock;
    rl::var<int> payload[SPANS];
    rl::atomic<int> popped_span[SPANS];

    void before() {
        xhead($).store(0, rl::mo_relaxed);
        xtail($).store(0, rl::mo_relaxed);
        for (unsigned i = 0; i < RING; i++)
            spine[i]($).store(0, rl::mo_relaxed);
        for (unsigned b = 0; b < NBLOCKS; b++) {
            xtop[b]($).store(0, rl::mo_relaxed);
            xpopped[b]($).store(0, rl::mo_relaxed);
            xpool_next[b]($).store(b + 1 < NBLOCKS ? b + 2 : 0, rl::mo_relaxed);
            for (unsigned k = 0; k < BLOCK; k++)
                slots[b][k]($).store(0, rl::mo_relaxed);
        }
        xpool_head($).store(1, rl::mo_release);
        for (unsigned s = 0; s < SPANS; s++) {
            payload[s]($) = 0;
            popped_span[s]($).store(0, rl::mo_relaxed);
        }
    }

    // spanset.c:pool_put
    void pool_put(unsigned b) {
        unsigned long long h = xpool_head($).load(rl::mo_relaxed);
        do
            xpool_next[b]($).store((unsigned)h, rl::mo_relaxed);
        while (!xpool_head($).compare_exchange_weak(h, ((h >> 32) + 1) << 32 | (b + 1),
                                                    site_pool_put_cas));
    }

    // spanset.c:pool_get (waiting where the C code would grow the pool)
    unsigned pool_get() {
        for (;;) {
            unsigned long long h = xpool_head($).load(site_pool_get_load);
            unsigned idp1 = (unsigned)h;
            if (!idp1) {
                rl::yield(1, $);
                continue;
            }
            unsigned next = xpool_next[idp1 - 1]($).load(rl::mo_relaxed);
            if (xpool_head($).compare_exchange_strong(h, ((h >> 32) + 1) << 32 | next,
                                                      rl::mo_acq_rel))
                return idp1 - 1;
        }
    }

    // spanset.c:block_for_push
    unsigned block_for_push(unsigned top) {
        unsigned e = spine[top % RING]($).load(site_spine_load);
        if (e && xtop[e - 1]($).load(rl::mo_relaxed) == top)
            return e - 1;
        spine_lock.lock($);
        unsigned b;
        for (;;) {
            e = spine[top % RING]($).load(rl::mo_acquire);
            if (e && xtop[e - 1]($).load(rl::mo_relaxed) == top) {
                b = e - 1;
                break;
            }
            if (!e) {
                b = pool_get();
                xtop[b]($).store(top, rl::mo_relaxed);
                spine[top % RING]($).store(b + 1, site_spine_install);
                break;
            }
            spine_lock.unlock($);
            rl::yield(1, $);
            spine_lock.lock($);
        }
        spine_lock.unlock($);
        return b;
    }

    // spanset.c:ss_push
    void push(unsigned span) {
        payload[span]($) = (int)span + 100; // the giver's writes to the span
        unsigned pos = xtail($).fetch_add(1, rl::mo_relaxed);
        unsigned b = block_for_push(pos / BLOCK);
        slots[b][pos % BLOCK]($).store(
            span + 1, slm::order(site_slot_store, "slot-store-relaxed", rl::mo_relaxed));
    }

    // spanset.c:ss_pop; -1 when the set looks empty
    int pop() {
        unsigned h = xhead($).load(rl::mo_acquire), b;
        for (;;) {
            unsigned t = xtail($).load(rl::mo_acquire);
            if (h >= t)
                return -1;
            unsigned top = h / BLOCK;
            unsigned e = spine[top % RING]($).load(site_spine_load);
            if (!e || xtop[e - 1]($).load(rl::mo_relaxed) != top)
                return -1;
            b = e - 1;
            if (slm::is("head-load-store")) {
                if (xhead($).load(rl::mo_acquire) == h) {
                    xhead($).store(h + 1, rl::mo_release);
                    break;
                }
                h = xhead($).load(rl::mo_acquire);
                continue;
            }
            if (xhead($).compare_exchange_strong(h, h + 1, site_head_cas))
                break;
        }
        unsigned s;
        while (!(s = slots[b][h % BLOCK]($).load(site_slot_load))) {
            if (slm::is("no-slot-wait"))
                return -1; // the claimed position is lost
            rl::yield(1, $);
        }
        slots[b][h % BLOCK]($).store(0, rl::mo_relaxed);
        bool last = slm::is("recycle-by-position")
                        ? h % BLOCK == BLOCK - 1
                        : xpopped[b]($).fetch_add(
                              1, slm::order(site_popped_add, "popped-relaxed", rl::mo_relaxed)) +
                                  1 ==
                              BLOCK;
        if (last) {
            xpopped[b]($).store(0, rl::mo_relaxed);
            spine[(h / BLOCK) % RING]($).store(0, rl::mo_release);
            pool_put(b);
        }
        unsigned span = s - 1;
        RL_ASSERT(popped_span[span]($).exchange(1, rl::mo_relaxed) == 0);
        RL_ASSERT(payload[span]($) == (int)span + 100);
        return (int)span;
    }

    void pop_some(unsigned n) {
        for (unsigned got = 0; got < n;) {
            if (pop() >= 0)
                got++;
            else
                rl::yield(1, $); // a lost span makes this a livelock, which Relacy reports
        }
    }

    void thread(unsigned idx) {
        if (REUSE) {
            if (idx == 0)
                for (unsigned s = 0; s < SPANS; s++)
                    push(s);
            else
                pop_some(idx == 1 ? 2 : 3);
            return;
        }
        if (idx == 0) {
            push(0);
            push(1);
            push(2);
            pop_some(2);
        } else if (idx == 1) {
            push(3);
            push(4);
        } else {
            pop_some(3);
        }
    }

    void after() {
        for (unsigned s = 0; s < SPANS; s++)
            RL_ASSERT(popped_span[s]($).load(rl::mo_relaxed) == 1);
        RL_ASSERT(xhead($).load(rl::mo_relaxed) == xtail($).load(rl::mo_relaxed));
    }
};

int main(int argc, char **argv) {
    return slm::main(argc, argv, "spanset",
                     {{"two-pushers-two-poppers", slm::simulate<spanset_model<0>>},
                      {"one-pusher-block-reuse", slm::simulate<spanset_model<1>>}},
                     mutants);
}
