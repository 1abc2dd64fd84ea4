// Model of the ckstack variant's core (variants/ckstack.c over CK 0.7.1's
// ck_stack_trypush_mpmc / ck_stack_trypop_mpmc).
//
// The stack head is {top, generation}, one 16-byte word that cmpxchg16b swaps as a whole;
// here one 64-bit atomic (node index + 1 in the low half, generation in the high half).
// Push: link the node's next to the top it saw, CAS the head (CK's push compares only
// the top pointer; comparing the whole word here is the same protocol, retried a little
// more often). Pop: read the head, read the top node's next (a read CK does plainly, of
// a node another popper may already have taken: an atomic here, relaxed, because its value
// is thrown away when the CAS fails), CAS the head to {next, generation + 1}.
// ckstack.c around it: the giver stores AVAILABLE (release) before the push and TSan's
// release/acquire annotations mirror CK's lock cmpxchg; the popper claims the span by CAS
// AVAILABLE -> TRANSIT (a failure means a span was handed out twice).
// Scenario: three spans A, B, C on the stack. Thread 0 pops two, pushes the first back
// (the ABA pattern), thread 1 pops one and pushes it back, thread 2 pops one; each popper
// writes into the span it holds (plain writes: the next owner's reads must be ordered).
// Checked: no span is held twice (claim CAS), no data race on the spans, and at the end
// the stack holds exactly the spans not held, each once.
#include "model.hpp"

// CK's own orders (lock cmpxchg, x86 loads): not our code, so no site. ckstack.c states
// them to TSan with an annotation on each side, which are the steps below.
static const rl::memory_order ck_push_cas = rl::mo_release, ck_pop_load = rl::mo_acquire,
                              ck_pop_cas = rl::mo_acquire;
SL_STEP(push_release, "variants/ckstack.c", "sl_tsan_release");
SL_STEP(pop_acquire, "variants/ckstack.c", "sl_tsan_acquire");
// The pop that bumps the generation (the mutant no-generation is CK's trypop_upmc).
SL_STEP(pop_generation, "variants/ckstack_ops.c", "ck_stack_trypop_mpmc");
SL_SITE(insert_store, "variants/ckstack.c", store, rl::mo_release);
SL_SITE(claim_cas, "variants/ckstack.c", cas, rl::mo_acq_rel);

static const std::vector<slm::mutant> mutants = {
    {"no-generation", "pop does not bump the generation (CK's ABA-unsafe pop_upmc)"},
    {"push-relaxed",
     "the push hands the span over with no release (ckstack_push without sl_tsan_release)"},
    {"pop-relaxed", "the pop takes the span with no acquire (ckstack_pop without sl_tsan_acquire)"},
};

enum { NODES = 3, AVAILABLE = 2, TRANSIT = 4 };

static unsigned long long pack(unsigned top, unsigned gen) {
    return (unsigned long long)gen << 32 | top;
}

struct ckstack_model : rl::test_suite<ckstack_model, 3> {
    rl::atomic<unsigned long long> head;
    rl::atomic<unsigned> next[NODES]; // index + 1, 0 = end
    rl::atomic<unsigned> state[NODES];
    rl::var<int> payload[NODES];
    rl::atomic<int> held[NODES];

    void before() {
        for (unsigned i = 0; i < NODES; i++) {
            next[i]($).store(i + 1 < NODES ? i + 2 : 0, rl::mo_relaxed);
            state[i]($).store(AVAILABLE, rl::mo_relaxed);
            payload[i]($) = 0;
            held[i]($).store(0, rl::mo_relaxed);
        }
        head($).store(pack(1, 0), rl::mo_release);
    }

    // ckstack.c:ckstack_push (ck_stack_trypush_mpmc in a loop)
    void push(unsigned n) {
        held[n]($).store(0, rl::mo_relaxed);
        state[n]($).store(AVAILABLE, site_insert_store);
        unsigned long long h = head($).load(rl::mo_relaxed);
        for (;;) {
            next[n]($).store((unsigned)h, rl::mo_relaxed);
            unsigned long long want = pack(n + 1, (unsigned)(h >> 32));
            if (head($).compare_exchange_weak(
                    h, want, slm::order(ck_push_cas, "push-relaxed", rl::mo_relaxed)))
                return;
        }
    }

    // ckstack.c:ckstack_pop (ck_stack_trypop_mpmc in a loop); -1 when empty
    int pop() {
        for (;;) {
            unsigned long long h =
                head($).load(slm::order(ck_pop_load, "pop-relaxed", rl::mo_relaxed));
            unsigned top = (unsigned)h;
            if (!top)
                return -1;
            unsigned nx = next[top - 1]($).load(rl::mo_relaxed);
            unsigned gen = (unsigned)(h >> 32) + (slm::is("no-generation") ? 0 : 1);
            if (head($).compare_exchange_weak(
                    h, pack(nx, gen), slm::order(ck_pop_cas, "pop-relaxed", rl::mo_relaxed))) {
                unsigned n = top - 1;
                // ckstack.c:ckstack_cache_span: claim AVAILABLE -> TRANSIT
                unsigned want = AVAILABLE;
                RL_ASSERT(state[n]($).compare_exchange_strong(want, TRANSIT, site_claim_cas));
                RL_ASSERT(held[n]($).exchange(1, rl::mo_relaxed) == 0);
                return (int)n;
            }
        }
    }

    void use(int n) {
        payload[n]($) = payload[n]($) + 1; // the owner's reads and writes of the span
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            int a = pop(), b = pop();
            if (a >= 0) {
                use(a);
                push((unsigned)a);
            }
            if (b >= 0)
                use(b);
        } else if (idx == 1) {
            int a = pop();
            if (a >= 0) {
                use(a);
                push((unsigned)a);
            }
        } else {
            int a = pop();
            if (a >= 0)
                use(a);
        }
    }

    void after() {
        unsigned seen = 0, n = 0;
        for (unsigned top = (unsigned)head($).load(rl::mo_relaxed); top;
             top = next[top - 1]($).load(rl::mo_relaxed)) {
            RL_ASSERT(n++ < NODES && !(seen & (1u << (top - 1))));
            seen |= 1u << (top - 1);
            RL_ASSERT(held[top - 1]($).load(rl::mo_relaxed) == 0);
        }
        for (unsigned i = 0; i < NODES; i++)
            RL_ASSERT((seen & (1u << i)) || held[i]($).load(rl::mo_relaxed));
    }
};

int main(int argc, char **argv) {
    return slm::main(argc, argv, "ckstack", {{"aba-pop-pop-push", slm::simulate<ckstack_model>}},
                     mutants);
}
