// Model of the rcu variant's in-place claim (variants/rcu.c: offer_locked, link_head_locked,
// try_claim, claim_rcu). The list holds nodes; a node's offer word (xspan in the C code) is
// a span pointer while the node offers that span and NULL once it is claimed. Here the word
// is state[node]: OFFERED stands for "a span pointer", CLAIMED for NULL, and node i offers
// span i (payload[i] is that span's contents).
//
// The list holds node A, linked earlier and claimed (dead). Thread 0 is a giver under the
// writer lock: it revives A in place (writes into its span, then offer: release store of
// the word) and links a fresh node B at the head (writes into B's span, B's next to the old
// head, offers it, then publishes the head with rcu_assign_pointer). Threads 1 and 2 are
// readers: each walks the list from the head (rcu_dereference) and claims the first
// offering node by CAS OFFERED -> CLAIMED, then uses the span (plain writes); a walk that
// finds nothing is retried a few times.
// Checked: a span is claimed by one reader per offer, and the claimer's writes are ordered
// after the giver's (rl::var: a data race otherwise). The grace period (unlink,
// synchronize_rcu, reuse of a node) is not modelled here: tests/test_rcu_grace.c holds a
// reader inside its section to check it.
#include "model.hpp"

SL_SITE(publish_store, "variants/rcu.c", store, rl::mo_release);
SL_SITE(claim_cas, "variants/rcu.c", cas, rl::mo_acq_rel);
SL_SITE(head_assign, "variants/rcu.c", store, rl::mo_release);
SL_SITE(head_deref, "variants/rcu.c", load, rl::mo_consume);

static const std::vector<slm::mutant> mutants = {
    {"publish-relaxed", "offer_locked stores the span relaxed (a revived node's span is claimed "
                        "before its giver's writes)"},
    {"claim-relaxed", "try_claim's CAS is relaxed"},
    {"claim-load-store", "try_claim takes the span by load and store, not CAS"},
};

enum { OFFERED = 2, CLAIMED = 4, A = 1, B = 2 }; // node ids: index + 1

struct rcu_model : rl::test_suite<rcu_model, 3> {
    rl::atomic<unsigned> head;
    rl::atomic<unsigned> next[2];
    rl::atomic<unsigned> state[2];
    rl::var<int> payload[2];
    rl::atomic<int> claims[2];
    rl::mutex lock;

    void before() {
        next[0]($).store(0, rl::mo_relaxed);
        next[1]($).store(0, rl::mo_relaxed);
        state[0]($).store(CLAIMED, rl::mo_relaxed); // A: linked, claimed earlier (dead)
        state[1]($).store(0, rl::mo_relaxed);       // B: a free node, not linked
        payload[0]($) = 0;
        payload[1]($) = 0;
        claims[0]($).store(0, rl::mo_relaxed);
        claims[1]($).store(0, rl::mo_relaxed);
        head($).store(A, rl::mo_release);
    }

    // rcu.c:offer_locked
    void publish(unsigned s) {
        state[s - 1]($).store(OFFERED,
                              slm::order(site_publish_store, "publish-relaxed", rl::mo_relaxed));
    }

    // rcu.c:try_claim
    bool try_claim(unsigned s) {
        unsigned st = state[s - 1]($).load(rl::mo_relaxed);
        if (st != OFFERED)
            return false;
        if (slm::is("claim-load-store")) {
            state[s - 1]($).store(CLAIMED, rl::mo_release);
            return true;
        }
        return state[s - 1]($).compare_exchange_strong(
            st, CLAIMED, slm::order(site_claim_cas, "claim-relaxed", rl::mo_relaxed));
    }

    // rcu.c:claim_rcu (the read-side walk)
    unsigned claim() {
        for (unsigned s = head($).load(site_head_deref); s;
             s = next[s - 1]($).load(rl::mo_consume)) {
            if (state[s - 1]($).load(rl::mo_relaxed) != OFFERED)
                continue;
            if (try_claim(s))
                return s;
        }
        return 0;
    }

    void thread(unsigned idx) {
        if (idx == 0) {
            payload[A - 1]($) = 1; // the giver's sweep of A
            lock.lock($);
            publish(A); // revive in place
            lock.unlock($);
            payload[B - 1]($) = 1;
            lock.lock($);
            unsigned h = head($).load(rl::mo_relaxed);
            next[B - 1]($).store(h, rl::mo_release); // rcu_assign_pointer(s->next, h)
            publish(B);
            head($).store(B, site_head_assign);
            lock.unlock($);
        } else {
            for (int tries = 0; tries < 3; tries++) {
                unsigned s = claim();
                if (s) {
                    RL_ASSERT(claims[s - 1]($).fetch_add(1, rl::mo_relaxed) == 0);
                    payload[s - 1]($) = payload[s - 1]($) + 10; // the claimer uses it
                    break;
                }
                rl::yield(1, $);
            }
        }
    }
};

int main(int argc, char **argv) {
    return slm::main(argc, argv, "rcu", {{"revive-and-link-two-readers", slm::simulate<rcu_model>}},
                     mutants);
}
