/* Test-only hooks into variants/rcu.c, for tests/test_rcu_grace.c. Not part of the
 * allocator's interface: nothing in alloc/ or harness/ calls them, and only the test
 * library (libspanlab-test.a, built with SL_TEST_HOOKS) has them. They exist because the
 * property under test -- a list node unlinked while a reader is inside a read-side section
 * is not reused before that reader leaves -- needs a reader parked at a known node.
 */
#ifndef SL_RCU_TEST_H
#define SL_RCU_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "central.h"

/* Where a list node stands: free (cache or pool), on a set's list, or retired (unlinked,
 * waiting for a grace period). */
enum { SL_RCU_NODE_FREE = 0, SL_RCU_NODE_LISTED = 1, SL_RCU_NODE_RETIRED = 2 };

#ifdef SL_TEST_HOOKS
/* The node on the set's list that offers span s now, or NULL. */
void *sl_rcu_test_node_of(sl_spanset_t *set, sl_span_t *s);
int sl_rcu_test_node_state(void *node);

/* Enter one read-side section (registering the calling thread if needed), walk the set's
 * list to node, read its next link into *before, call hold(arg) while still inside, read
 * the link again into *after and the span it offers into *span_after, then leave. False
 * if node was not on the list. */
bool sl_rcu_test_hold(sl_spanset_t *set, void *node, void (*hold)(void *), void *arg, void **before,
                      void **after, sl_span_t **span_after);

/* Unlink every dead (claimed) node of the set, as a reader's prune after a long walk does.
 * Returns how many it unlinked. */
unsigned sl_rcu_test_prune(sl_spanset_t *set);

/* One reclaim pass: wait for a grace period, then free every retired node. Returns how
 * many it freed. Must not be called inside a read-side section. */
unsigned sl_rcu_test_reclaim(void);

/* Nodes carved so far, and nodes retired and not yet reclaimed (all sets). */
void sl_rcu_test_nodes(uint64_t *total, uint64_t *retired);
#endif

#endif
