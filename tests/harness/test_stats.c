/* The median's distribution-free interval (harness/stats.c) against the published table
 * of order-statistic ranks and exact binomial coverages. The same table is checked for
 * scripts/slstats.py by test_slstats.py, so slbench --repeat auto and scripts/plot agree.
 */
#include <math.h>
#include <stdio.h>

#include "../check.h"
#include "stats.h"

int main(void) {
    /* n, k of [x(k), x(n+1-k)], exact coverage 1 - 2 P(Bin(n, 1/2) <= k-1). */
    static const struct {
        unsigned n, k;
        double coverage;
    } table[] = {
        {3, 1, 0.75},
        {5, 1, 0.9375},
        {6, 1, 0.96875},
        {8, 1, 0.9921875},
        {9, 2, 0.9609375},
        {11, 2, 0.98828125},
        {12, 3, 0.96142578125},
        {17, 5, 0.950958251953125},
        {20, 6, 0.958610534668},
        {100, 40, 0.9647998},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        double cov;
        unsigned k = sl_bench_median_ci_rank(table[i].n, 0.95, &cov);
        CHECK_MSG(k == table[i].k, "n=%u: k=%u, want %u", table[i].n, k, table[i].k);
        CHECK_MSG(fabs(cov - table[i].coverage) < 1e-6, "n=%u: coverage %.9f, want %.9f",
                  table[i].n, cov, table[i].coverage);
    }

    /* Nine values, shuffled: median 50, interval [x(2), x(8)] = [20, 80], reach 60 %. */
    double x[] = {90, 10, 50, 30, 70, 20, 80, 40, 60};
    sl_bench_ci_t ci = sl_bench_median_ci(x, 9, 0.95);
    CHECK_MSG(ci.median == 50 && ci.lo == 20 && ci.hi == 80, "median %g [%g, %g]", ci.median, ci.lo,
              ci.hi);
    CHECK_MSG(fabs(ci.halfwidth - 0.6) < 1e-12, "reach %g", ci.halfwidth);
    double even[] = {4, 1, 3, 2, 6, 5};
    ci = sl_bench_median_ci(even, 6, 0.95);
    CHECK_MSG(ci.median == 3.5 && ci.lo == 1 && ci.hi == 6, "even: median %g [%g, %g]", ci.median,
              ci.lo, ci.hi);
    double one[] = {7};
    ci = sl_bench_median_ci(one, 1, 0.95);
    CHECK_MSG(ci.median == 7 && ci.coverage == 0.0, "one value: %g, coverage %g", ci.median,
              ci.coverage);

    return check_done("stats");
}
