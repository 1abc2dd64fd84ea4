/* test_rcu_grace: the rcu variant's grace-period guarantee. A reader parks inside a
 * read-side section standing on list node N, which offers span S; meanwhile S is claimed
 * (N dies), N is unlinked and retired, and S is handed back (in a new node) and churned
 * through the set thousands of times. N must not be reused -- not relinked, not given a
 * span, its next link unchanged -- before the reader leaves, and no grace period may end
 * while the reader is inside. The allocation path must not wait meanwhile: S is available
 * again at once, the churn finishes while the grace period cannot, and no grace-period
 * wait is counted. After the reader leaves, N is freed by a grace period. Uses the test
 * hooks of variants/rcu_test.h and the variant's ops directly.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "central.h"
#include "check.h"
#include "rcu_test.h"
#include "spanlab.h"

#ifndef SL_TEST_HOOKS
#error "test_rcu_grace needs libspanlab-test (SL_TEST_HOOKS): variants/rcu_test.h"
#endif

#define SPC       (2 * 10 + 1) /* any small span class */
#define HOLD_MS   300          /* how long the main thread watches while the reader holds */
#define BOUND_SEC 20           /* a reader never holds longer than this, even if we fail */
#define CHURN     20000        /* pop + push rounds while the reader holds */

static const sl_central_ops_t *ops;
static sl_spanset_t *set;
static void *node; /* N: the node the reader stands on */
static _Atomic int inside, release_reader, reclaim_done;
static void *link_before, *link_after;
static sl_span_t *span_after;
static bool reader_found;

static void sleep_ms(unsigned ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Called inside the read-side section, standing on node. */
static void hold(void *arg) {
    (void)arg;
    atomic_store(&inside, 1);
    double t0 = now_s();
    while (!atomic_load(&release_reader) && now_s() - t0 < BOUND_SEC)
        sleep_ms(1);
}

static void *reader(void *arg) {
    (void)arg;
    if (ops->thread_attach)
        ops->thread_attach(); /* registers with urcu; starts the background reclaimer */
    reader_found = sl_rcu_test_hold(set, node, hold, NULL, &link_before, &link_after, &span_after);
    atomic_store(&inside, 1); /* also when node was not found: unblock main */
    if (ops->thread_detach)
        ops->thread_detach();
    return NULL;
}

static void *reclaimer(void *arg) {
    (void)arg;
    (void)sl_rcu_test_reclaim();
    atomic_store(&reclaim_done, 1);
    return NULL;
}

static uint64_t graces(uint64_t *waits) {
    struct sl_central_counters c;
    sl_central_counters(-1, &c);
    *waits = c.grace_periods;
    return c.grace_periods + c.grace_periods_bg;
}

int main(void) {
    REQUIRE(sl_init("rcu") == 0, "sl_init(\"rcu\") failed");
    ops = sl_central_active;
    set = sl_central_set(SPC, 0);

    /* Two spans on the list: target's node at the head, its next link pointing at other's. */
    sl_span_t *other = sl_central_grow(SPC), *target = sl_central_grow(SPC), *t;
    REQUIRE(other && target && other != target, "could not grow two spans");
    REQUIRE(ops->push(set, other) == 0 && ops->push(set, target) == 0, "push failed");
    void *other_node = sl_rcu_test_node_of(set, other);
    node = sl_rcu_test_node_of(set, target);
    REQUIRE(node && other_node, "pushed spans not on the list");
    REQUIRE(sl_rcu_test_node_state(node) == SL_RCU_NODE_LISTED, "target's node not listed");

    pthread_t rd, rc;
    REQUIRE(pthread_create(&rd, NULL, reader, NULL) == 0, "pthread_create");
    while (!atomic_load(&inside))
        sleep_ms(1);

    /* Claim target in place (its node dies), unlink the node (prune): it is retired. */
    uint64_t waits0, g0 = graces(&waits0);
    t = ops->pop(set);
    REQUIRE(t == target, "pop claimed %p, want the list head's span %p", (void *)t, (void *)target);
    REQUIRE(sl_rcu_test_prune(set) >= 1, "prune unlinked nothing");
    REQUIRE(sl_rcu_test_node_state(node) == SL_RCU_NODE_RETIRED, "dead node not retired");

    /* The span does not wait: pushed back, it is available at once, in another node. */
    REQUIRE(ops->push(set, target) == 0, "push failed");
    REQUIRE(sl_span_state(target) == SL_SPAN_AVAILABLE, "span handed back not available (state %u)",
            sl_span_state(target));
    void *n2 = sl_rcu_test_node_of(set, target);
    REQUIRE(n2 && n2 != node, "span offered again in the retired node %p", node);

    /* A grace period cannot end while the reader holds: a reclaim pass must block... */
    REQUIRE(pthread_create(&rc, NULL, reclaimer, NULL) == 0, "pthread_create");
    /* ...but the allocation path goes on: pop, unlink the claimed node (so that the push
     * needs a new one) and push, CHURN times; the span is never offered in N. */
    for (int i = 0; i < CHURN; i++) {
        t = ops->pop(set);
        REQUIRE(t == target || t == other, "churn %d: pop returned %p", i, (void *)t);
        REQUIRE(sl_rcu_test_prune(set) == 1, "churn %d: the claimed node was not unlinked", i);
        REQUIRE(ops->push(set, t) == 0, "churn %d: push failed", i);
        void *nt = sl_rcu_test_node_of(set, t);
        REQUIRE(nt && nt != node, "churn %d: span offered in the node a reader stands on", i);
    }
    sleep_ms(HOLD_MS);
    uint64_t waits1, g1 = graces(&waits1);
    REQUIRE(!atomic_load(&reclaim_done), "a reclaim pass finished while a reader was inside");
    REQUIRE(g1 == g0, "%llu grace period(s) ended while a reader was inside",
            (unsigned long long)(g1 - g0));
    REQUIRE(waits1 == waits0, "the allocation path waited for %llu grace period(s)",
            (unsigned long long)(waits1 - waits0));
    REQUIRE(sl_rcu_test_node_state(node) == SL_RCU_NODE_RETIRED,
            "node reused while a reader stood on it (state %d)", sl_rcu_test_node_state(node));
    uint64_t total, retired;
    sl_rcu_test_nodes(&total, &retired);
    REQUIRE(retired >= CHURN, "only %llu nodes retired during the churn",
            (unsigned long long)retired);

    double t0 = now_s();
    atomic_store(&release_reader, 1);
    pthread_join(rd, NULL);
    pthread_join(rc, NULL);
    REQUIRE(reader_found, "reader did not find its node on the list");
    REQUIRE(link_before == other_node && link_after == other_node,
            "the node's next link changed under the reader (%p -> %p, want %p)", link_before,
            link_after, other_node);
    REQUIRE(span_after == NULL, "the node offered span %p again under the reader",
            (void *)span_after);
    /* The retired nodes come free after the grace period (the test's pass or the
     * background one). */
    while (sl_rcu_test_node_state(node) == SL_RCU_NODE_RETIRED && now_s() - t0 < BOUND_SEC)
        sleep_ms(1);
    REQUIRE(sl_rcu_test_node_state(node) != SL_RCU_NODE_RETIRED,
            "node still retired %d s after the reader left", BOUND_SEC);
    uint64_t waits2, g2 = graces(&waits2);
    REQUIRE(g2 > g1, "no grace period counted after the reader left");
    printf("test_rcu_grace: %d pop+push rounds while a reader held %d ms, %llu nodes "
           "(%llu retired), no grace period ended meanwhile; freed %.0f ms after it left; "
           "grace periods waited %llu, background %llu; ok\n",
           CHURN, HOLD_MS, (unsigned long long)total, (unsigned long long)retired,
           (now_s() - t0) * 1e3, (unsigned long long)waits2, (unsigned long long)(g2 - waits2));
    return 0;
}
