/* sl_stats: the heap's figures (mheap.c), the scavenger's decay time, the out-of-memory
 * answers (malloc.c) and the mcentral counters summed over every class (central.c). */
#include <string.h>

#include "central.h"
#include "malloc_internal.h"
#include "mheap.h"
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
