/* Log-linear latency histogram (HdrHistogram layout): values below 64 are exact, above
 * that each power of two is split into 32 equal buckets, so a bucket is at most 1/32
 * (3.1 %) of its value wide. One per worker, no sharing; merged after the run.
 */
#ifndef SL_BENCH_HIST_H
#define SL_BENCH_HIST_H

#include <stdint.h>

#define SL_HIST_SUB_BITS 5
#define SL_HIST_SUB      (1u << SL_HIST_SUB_BITS) /* 32 buckets per power of two */
#define SL_HIST_LINEAR   (2u * SL_HIST_SUB)       /* values 0..63 exact */
#define SL_HIST_BUCKETS  (SL_HIST_LINEAR + (64u - 6u) * SL_HIST_SUB)

typedef struct sl_hist {
    uint64_t count;
    uint64_t max;
    uint64_t min;
    uint64_t counts[SL_HIST_BUCKETS];
} sl_hist_t;

void sl_hist_init(sl_hist_t *h);
void sl_hist_merge(sl_hist_t *into, const sl_hist_t *from);

/* Value at percentile p (0 < p <= 100): the middle of the bucket holding the sample of
 * rank ceil(p/100 * count), clamped to [min, max]; 0 for an empty histogram. */
uint64_t sl_hist_percentile(const sl_hist_t *h, double p);

/* Bucket index of a value, and the lowest and highest value of a bucket. */
static inline unsigned sl_hist_index(uint64_t v) {
    if (v < SL_HIST_LINEAR)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);        /* 6 .. 63 */
    unsigned sub = (unsigned)(v >> (e - SL_HIST_SUB_BITS)); /* 32 .. 63 */
    return SL_HIST_LINEAR + (e - 6u) * SL_HIST_SUB + (sub - SL_HIST_SUB);
}

uint64_t sl_hist_bucket_low(unsigned idx);
uint64_t sl_hist_bucket_high(unsigned idx);

static inline void sl_hist_record(sl_hist_t *h, uint64_t v) {
    h->counts[sl_hist_index(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
    if (v < h->min)
        h->min = v;
}

#endif
