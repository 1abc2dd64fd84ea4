/* eager -- the span-return rule spanlab started with. The mcache owns one span per class;
 * an exhausted span goes back to the mcentral, where a full one is parked and the first
 * free into it makes it available again (one winner, by CAS; SPANLAB_UNPARK_PCT raises
 * the threshold). Simple, but under random frees a span often comes back with one free
 * slot and goes through the mcentral once per object. Kept for comparison. */
#include "central.h"
#include "policy.h"

static sl_span_t *eager_refill(sl_mcache_t *c, unsigned spc, sl_span_t *exhausted) {
    if (exhausted != &sl_span_empty)
        sl_central_uncache(exhausted, (uintptr_t)c);
    return sl_central_cache(spc, (uintptr_t)c, 0);
}

const sl_policy_t sl_policy_eager = {
    .name = "eager",
    .summary = "a full span parks; the first free makes it available in the mcentral",
    .nsets = 1,
    .refill = eager_refill,
};
