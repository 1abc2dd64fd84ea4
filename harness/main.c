/* slbench: the spanlab benchmark driver. Parses and validates the command line, then
 * either lists what it can measure, runs the sweep (each cell in a fresh child process),
 * or -- as that child (--cell) -- runs one cell. Usage in harness/README.md.
 */
#include <stdio.h>
#include <string.h>

#include "cell.h"
#include "central.h"
#include "options.h"
#include "policy.h"
#include "sweep.h"

static void main_list(void) {
    printf("allocators:\n");
    for (const sl_central_ops_t *const *v = sl_variant_list(); *v; v++)
        printf("  spanlab:%-12s %s\n", (*v)->name, (*v)->summary ? (*v)->summary : "");
    printf("  %-20s %s\n", "glibc", "the C library's malloc (no preload)");
    for (const char *const *p = sl_bench_peer_names(); *p; p++) {
        const char *lib = sl_bench_peer_lib(*p);
        printf("  %-20s %s%s\n", *p, lib ? "LD_PRELOAD=" : "not installed",
               lib ? lib : " (skipped; scripts/deps installs it)");
    }
    printf("  (spanlab:VARIANT/POLICY, either side may be `all`; spanlab:all = every variant\n"
           "   under the default policy, %s; peers = glibc and every installed peer)\n",
           SL_POLICY_DEFAULT);
    printf("\nspan-return policies (spanlab:VARIANT/POLICY):\n");
    for (const sl_policy_t *const *p = sl_policy_list(); *p; p++)
        printf("  %-10s %s\n", (*p)->name, (*p)->summary);
    printf("\nworkloads (--param KEY=VALUE or WORKLOAD.KEY=VALUE; default in brackets):\n");
    for (const sl_bench_workload_t *const *w = sl_bench_workloads(); *w; w++) {
        printf("  %-11s %s\n", (*w)->name, (*w)->summary);
        if ((*w)->source)
            printf("      %-8s %s\n", "source:", (*w)->source);
        for (const sl_bench_param_t *p = (*w)->params; p->name; p++)
            printf("      %-8s [%ld] %s (%ld .. %ld)\n", p->name, p->def, p->help, p->min, p->max);
    }
    printf("\nevery workload:\n");
    char defaults[256];
    size_t len = 0;
    for (const sl_bench_workload_t *const *w = sl_bench_workloads(); *w; w++)
        if ((*w)->sample_default && len < sizeof defaults)
            len += (size_t)snprintf(defaults + len, sizeof defaults - len, "%s%s %ld",
                                    len ? ", " : "; ", (*w)->name, (*w)->sample_default);
    printf("      %-8s [%d%s] time every Nth allocator call (0 = no latency sampling)\n", "sample",
           SL_BENCH_DEFAULT_SAMPLE, len ? defaults : "");
    printf("      %-8s [seconds*10+30] seconds before a cell is killed and recorded as "
           "timeout\n",
           "timeout");
}

int main(int argc, char **argv) {
    static sl_bench_opts_t o;
    int rc = sl_bench_opts_parse(&o, argc, argv);
    if (rc)
        return rc;
    if (o.list) {
        main_list();
        return 0;
    }
    if (o.cell)
        return sl_bench_cell_main(&o);
    return sl_bench_sweep(&o, argc, argv);
}
