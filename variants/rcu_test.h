/* Test-only hooks into variants/rcu.c, for tests/test_rcu_grace.c. Not part of the
 * allocator's interface: nothing in alloc/ or harness/ calls them. They exist because the
 * property under test -- a span unlinked while a reader is inside a read-side section is not
 * relinked before that reader leaves -- needs a reader parked at a known span.
 */
#ifndef SL_RCU_TEST_H
#define SL_RCU_TEST_H

#include <stdbool.h>

#include "central.h"

/* Where span s stands in the rcu variant's lists. */
enum { SL_RCU_LINK_FREE = 0, SL_RCU_LINK_LISTED = 1, SL_RCU_LINK_LIMBO = 2 };
int sl_rcu_test_link_state(sl_span_t *s);

/* Enter one read-side section (registering the calling thread if needed), walk the set's
 * list to s, read s's list link into *before, call hold(arg) while still inside, read the
 * link again into *after, then leave. False if s was not on the list. */
bool sl_rcu_test_hold(sl_spanset_t *set, sl_span_t *s, void (*hold)(void *), void *arg,
                      void **before, void **after);

/* Unlink every span of the set that is on the list but not available (what a reader's
 * prune does after a long walk). Returns how many it unlinked. */
unsigned sl_rcu_test_prune(sl_spanset_t *set);

/* One reclaim pass: wait for a grace period, then relink or free every unlinked span.
 * Returns how many spans it processed. Must not be called inside a read-side section. */
unsigned sl_rcu_test_reclaim(void);

#endif
