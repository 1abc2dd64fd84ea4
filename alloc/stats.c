/* sl_stats and sl_scavenge: read the heap and the mcentral counters; give memory back
 * (what the policy keeps in mcaches first, then all-free spans, then free pages). */
#include <stdint.h>
#include <string.h>

#include "central.h"
#include "malloc_internal.h"
#include "mcache.h"
#include "mheap.h"
#include "policy.h"
#include "scavenger.h"

void sl_stats(struct sl_stats *out) {
    memset(out, 0, sizeof *out);
    if (sl_ensure_init() <= 0)
        return;
    sl_mheap_stats(out);
    out->scav_decay_ms = sl_scavenger_decay_ms();
    out->enomem = sl_malloc_enomem();
    sl_central_counters(-1, &out->central);
}

void sl_scavenge(void) {
    if (sl_ensure_init() <= 0)
        return;
    sl_mcache_t *c = sl_mcache_current();
    sl_scavenger_exclusive(true);
    if (sl_policy_active->drain)
        sl_policy_active->drain();
    if (c)
        sl_mheap_flush_pagecache(&c->pcache);
    sl_central_release_empty();
    sl_mheap_scavenge(UINT64_MAX, SIZE_MAX);
    sl_scavenger_exclusive(false);
}
