/* test_rcu_grace: the rcu variant's grace-period guarantee. A reader parks inside a
 * read-side section standing on span S; meanwhile S is claimed, unlinked and handed back.
 * S's links must not be reused (S not relinked, not made available) before the reader
 * leaves, and the reclaim pass that would relink it must wait for the reader. Uses the
 * test hooks of variants/rcu_test.h and the variant's ops directly.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "central.h"
#include "rcu_test.h"
#include "spanlab.h"

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL test_rcu_grace.c:%d: ", __LINE__);                               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define SPC       (2 * 10 + 1) /* any small span class */
#define HOLD_MS   300          /* how long the main thread watches while the reader holds */
#define BOUND_SEC 20           /* a reader never holds longer than this, even if we fail */

static const sl_central_ops_t *ops;
static sl_spanset_t *set;
static sl_span_t *target;
static _Atomic int inside, release_reader, reclaim_done;
static void *link_before, *link_after;
static bool reader_found;
static unsigned reclaimed;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Called inside the read-side section, standing on target. */
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
        ops->thread_attach();
    reader_found = sl_rcu_test_hold(set, target, hold, NULL, &link_before, &link_after);
    atomic_store(&inside, 1); /* also when target was not found: unblock main */
    if (ops->thread_detach)
        ops->thread_detach();
    return NULL;
}

static void *reclaimer(void *arg) {
    (void)arg;
    reclaimed = sl_rcu_test_reclaim();
    atomic_store(&reclaim_done, 1);
    return NULL;
}

int main(void) {
    CHECK(sl_init("rcu") == 0, "sl_init(\"rcu\") failed");
    ops = sl_central_active;
    set = sl_central_set(SPC, 0);

    /* Two spans on the list: target at the head, its next link pointing at the other. */
    sl_span_t *other = sl_central_grow(SPC), *t;
    target = sl_central_grow(SPC);
    CHECK(other && target && other != target, "could not grow two spans");
    CHECK(ops->push(set, other) == 0 && ops->push(set, target) == 0, "push failed");
    CHECK(sl_rcu_test_link_state(target) == SL_RCU_LINK_LISTED, "target not on the list");

    pthread_t rd, rc;
    CHECK(pthread_create(&rd, NULL, reader, NULL) == 0, "pthread_create");
    while (!atomic_load(&inside))
        sleep_ms(1);

    /* Claim target in place, unlink it (prune), hand it back: it waits in limbo. */
    t = ops->pop(set);
    CHECK(t == target, "pop claimed %p, want the list head %p", (void *)t, (void *)target);
    CHECK(sl_rcu_test_prune(set) >= 1, "prune unlinked nothing");
    CHECK(sl_rcu_test_link_state(target) == SL_RCU_LINK_LIMBO, "claimed span not in limbo");
    CHECK(ops->push(set, target) == 0, "push failed");
    CHECK(sl_span_state(target) == SL_SPAN_TRANSIT, "span in limbo made available (state %u)",
          sl_span_state(target));

    /* The reclaim pass must block in its grace period while the reader holds. */
    double t0 = now_s();
    CHECK(pthread_create(&rc, NULL, reclaimer, NULL) == 0, "pthread_create");
    sleep_ms(HOLD_MS);
    CHECK(!atomic_load(&reclaim_done), "reclaim finished while a reader was inside");
    CHECK(sl_rcu_test_link_state(target) == SL_RCU_LINK_LIMBO,
          "span relinked while a reader stood on it (link state %d)",
          sl_rcu_test_link_state(target));
    CHECK(sl_span_state(target) == SL_SPAN_TRANSIT, "span reused while a reader stood on it");

    atomic_store(&release_reader, 1);
    pthread_join(rd, NULL);
    pthread_join(rc, NULL);
    double waited = now_s() - t0;
    CHECK(reader_found, "reader did not find target on the list");
    CHECK(link_before == other && link_after == other,
          "target's next link changed under the reader (%p -> %p, want %p)", link_before,
          link_after, (void *)other);
    CHECK(reclaimed >= 1, "reclaim processed nothing");
    CHECK(sl_rcu_test_link_state(target) == SL_RCU_LINK_LISTED &&
              sl_span_state(target) == SL_SPAN_AVAILABLE,
          "after the grace period the span is not back (link %d, state %u)",
          sl_rcu_test_link_state(target), sl_span_state(target));
    t = ops->pop(set);
    CHECK(t == target, "relinked span not served first (%p)", (void *)t);
    CHECK(ops->push(set, t) == 0, "push failed");

    struct sl_central_counters c;
    sl_central_counters(SPC, &c);
    CHECK(c.grace_periods >= 1, "no grace period counted");
    printf("test_rcu_grace: reclaim waited %.0f ms for a reader held %d ms; %llu grace "
           "periods; ok\n",
           waited * 1e3, HOLD_MS, (unsigned long long)c.grace_periods);
    return 0;
}
