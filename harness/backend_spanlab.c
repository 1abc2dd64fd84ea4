/* spanlab as a backend: the sl_* entry points of the statically linked libspanlab.a.
 * The variant was chosen by sl_init in cell.c before any thread starts.
 */
#include "bench.h"
#include "spanlab.h"

const sl_bench_backend_t sl_bench_backend_spanlab = {
    .name = "spanlab",
    .alloc = sl_malloc,
    .alloc_noscan = sl_malloc_noscan,
    .free = sl_free,
    .thread_end = sl_thread_exit,
    .release = sl_scavenge,
    .has_central = 1,
};
