/* Histogram percentiles against known distributions (harness/hist.c), and CSV quoting
 * (harness/csv.c). Unit tests: no threads, no timing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "csv.h"
#include "hist.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Exact percentile by the same rank rule: the ceil(p/100 * n)-th smallest. */
static uint64_t exact(const uint64_t *sorted, size_t n, double p) {
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static void check_distribution(const char *name, uint64_t *v, size_t n) {
    static const double ps[] = {1, 10, 50, 90, 99, 99.9, 100};
    sl_hist_t h;
    sl_hist_init(&h);
    for (size_t i = 0; i < n; i++)
        sl_hist_record(&h, v[i]);
    qsort(v, n, sizeof *v, cmp_u64);
    CHECK_MSG(h.count == n, "%s: count %llu", name, (unsigned long long)h.count);
    CHECK_MSG(h.max == v[n - 1] && h.min == v[0], "%s: min/max", name);
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double want = (double)exact(v, n, ps[i]), got = (double)sl_hist_percentile(&h, ps[i]);
        /* A bucket is at most 1/32 of its value wide; the middle is within 1/64. */
        double tol = want < 64 ? 0.0 : want / 32.0;
        CHECK_MSG(fabs(got - want) <= tol, "%s: p%g = %.0f, exact %.0f (tolerance %.1f)", name,
                  ps[i], got, want, tol);
    }
}

static void test_buckets(void) {
    /* Every value maps to a bucket whose bounds contain it; buckets are contiguous. */
    for (uint64_t v = 0; v < 1u << 20; v++) {
        unsigned i = sl_hist_index(v);
        CHECK_MSG(sl_hist_bucket_low(i) <= v && v <= sl_hist_bucket_high(i), "bucket of %llu",
                  (unsigned long long)v);
        if (check_failed > 10)
            return;
    }
    for (unsigned i = 1; i < SL_HIST_BUCKETS; i++)
        CHECK_MSG(sl_hist_bucket_low(i) == sl_hist_bucket_high(i - 1) + 1, "gap at bucket %u", i);
    CHECK_MSG(sl_hist_index(UINT64_MAX) == SL_HIST_BUCKETS - 1, "last bucket");
}

static void test_distributions(void) {
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < N; i++) { /* uniform 1 .. 100000 */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v[i] = 1 + x % 100000;
    }
    check_distribution("uniform", v, N);
    for (size_t i = 0; i < N; i++) { /* exponential, mean 200: a latency-like long tail */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double u = ((double)(x >> 11) + 0.5) / 9007199254740992.0;
        v[i] = (uint64_t)(-200.0 * log(u));
    }
    check_distribution("exponential", v, N);
    for (size_t i = 0; i < N; i++) /* small exact values */
        v[i] = i % 50;
    check_distribution("small", v, N);
    free(v);

    sl_hist_t a, b;
    sl_hist_init(&a);
    sl_hist_init(&b);
    CHECK_MSG(sl_hist_percentile(&a, 50) == 0, "empty histogram");
    for (uint64_t i = 1; i <= 1000; i++)
        sl_hist_record(i % 2 ? &a : &b, i);
    sl_hist_merge(&a, &b);
    CHECK_MSG(a.count == 1000 && a.max == 1000 && a.min == 1, "merge");
    CHECK_MSG(fabs((double)sl_hist_percentile(&a, 50) - 500) <= 500 / 32.0, "merged p50 %llu",
              (unsigned long long)sl_hist_percentile(&a, 50));
}

static void test_csv_quoting(void) {
    char buf[256];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    sl_bench_csv_field(f, "plain");
    fputc('|', f);
    sl_bench_csv_field(f, "a,b");
    fputc('|', f);
    sl_bench_csv_field(f, "say \"hi\"");
    fputc('|', f);
    sl_bench_csv_field(f, NULL);
    fclose(f);
    CHECK_MSG(strcmp(buf, "plain|\"a,b\"|\"say \"\"hi\"\"\"|") == 0, "csv quoting: %s", buf);
}

int main(void) {
    test_buckets();
    test_distributions();
    test_csv_quoting();
    return check_done("hist and csv");
}
