/* Median and its distribution-free confidence interval (stats.h). The binomial tail is
 * summed in log space, so any repetition count works without overflow.
 */
#include <math.h>
#include <stdlib.h>

#include "stats.h"

/* P(Bin(n, 1/2) <= k). */
static double stats_binom_half_cdf(unsigned k, unsigned n) {
    if (k >= n)
        return 1.0;
    double sum = 0.0, lgn = lgamma((double)n + 1.0), ln2n = (double)n * log(2.0);
    for (unsigned i = 0; i <= k; i++)
        sum += exp(lgn - lgamma((double)i + 1.0) - lgamma((double)(n - i) + 1.0) - ln2n);
    return sum;
}

unsigned sl_bench_median_ci_rank(unsigned n, double confidence, double *coverage) {
    if (n == 0) {
        *coverage = 0.0;
        return 0;
    }
    unsigned k = 1;
    double cov = 1.0 - 2.0 * stats_binom_half_cdf(0, n);
    while (k + 1 <= (n + 1) / 2) {
        double c = 1.0 - 2.0 * stats_binom_half_cdf(k, n);
        if (c < confidence)
            break;
        k++;
        cov = c;
    }
    *coverage = cov;
    return k;
}

static int stats_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

sl_bench_ci_t sl_bench_median_ci(double *x, unsigned n, double confidence) {
    sl_bench_ci_t ci = {0};
    if (n == 0)
        return ci;
    qsort(x, n, sizeof *x, stats_cmp);
    ci.median = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2.0;
    unsigned k = n > 1 ? sl_bench_median_ci_rank(n, confidence, &ci.coverage) : 1;
    ci.lo = x[k - 1];
    ci.hi = x[n - k];
    double reach = fmax(ci.median - ci.lo, ci.hi - ci.median);
    ci.halfwidth = ci.median > 0.0 ? reach / ci.median : INFINITY;
    return ci;
}
