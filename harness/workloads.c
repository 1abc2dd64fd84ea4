/* The workload registry: every wl_<name>.c exports one sl_bench_workload_t. */
#include <string.h>

#include "bench.h"

extern const sl_bench_workload_t sl_wl_threadtest, sl_wl_larson, sl_wl_prodcons, sl_wl_scratch,
    sl_wl_gomix, sl_wl_large, sl_wl_growth, sl_wl_central;

static const sl_bench_workload_t *const workloads[] = {
    &sl_wl_threadtest, &sl_wl_larson, &sl_wl_prodcons, &sl_wl_scratch, &sl_wl_gomix,
    &sl_wl_large,      &sl_wl_growth, &sl_wl_central,  NULL,
};

const sl_bench_workload_t *const *sl_bench_workloads(void) {
    return workloads;
}

const sl_bench_workload_t *sl_bench_workload_find(const char *name) {
    for (const sl_bench_workload_t *const *w = workloads; *w; w++)
        if (strcmp((*w)->name, name) == 0)
            return *w;
    return NULL;
}

int sl_bench_workload_param_index(const sl_bench_workload_t *wl, const char *key) {
    for (int i = 0; wl->params[i].name; i++)
        if (strcmp(wl->params[i].name, key) == 0)
            return i;
    return -1;
}
