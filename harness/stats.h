/* Statistics of a cell's repetitions for `slbench --repeat auto`: the median of the
 * throughputs and its distribution-free confidence interval from order statistics. The
 * same interval as scripts/slstats.py (median_ci), which draws and tests the figures.
 */
#ifndef SL_BENCH_STATS_H
#define SL_BENCH_STATS_H

/* The interval [x(k), x(n+1-k)] (ranks from 1 of the sorted values) for the median of n
 * values, k the largest rank whose coverage 1 - 2 P(Bin(n, 1/2) <= k-1) is at least
 * `confidence`. Returns k, and the coverage in *coverage; k = 1 with a coverage below
 * `confidence` when n is too small (n < 6 for 95 %). */
unsigned sl_bench_median_ci_rank(unsigned n, double confidence, double *coverage);

typedef struct sl_bench_ci {
    double median, lo, hi;
    double coverage;  /* of [lo, hi]; below the confidence asked when n is too small */
    double halfwidth; /* max(median - lo, hi - median) / median */
} sl_bench_ci_t;

/* Median and interval of x[0..n) (sorted in place); n >= 1. */
sl_bench_ci_t sl_bench_median_ci(double *x, unsigned n, double confidence);

#endif
