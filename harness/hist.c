/* Log-linear histogram: merging and percentiles (hist.h has the layout). */
#include <math.h>
#include <string.h>

#include "hist.h"

void sl_hist_init(sl_hist_t *h) {
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void sl_hist_merge(sl_hist_t *into, const sl_hist_t *from) {
    for (unsigned i = 0; i < SL_HIST_BUCKETS; i++)
        into->counts[i] += from->counts[i];
    into->count += from->count;
    if (from->max > into->max)
        into->max = from->max;
    if (from->min < into->min)
        into->min = from->min;
}

uint64_t sl_hist_bucket_low(unsigned idx) {
    if (idx < SL_HIST_LINEAR)
        return idx;
    unsigned g = (idx - SL_HIST_LINEAR) / SL_HIST_SUB; /* power of two: 2^(g+6) */
    uint64_t sub = (idx - SL_HIST_LINEAR) % SL_HIST_SUB + SL_HIST_SUB;
    return sub << (g + 6u - SL_HIST_SUB_BITS);
}

uint64_t sl_hist_bucket_high(unsigned idx) {
    if (idx < SL_HIST_LINEAR)
        return idx;
    unsigned g = (idx - SL_HIST_LINEAR) / SL_HIST_SUB;
    uint64_t width = (uint64_t)1 << (g + 6u - SL_HIST_SUB_BITS);
    return sl_hist_bucket_low(idx) + (width - 1);
}

uint64_t sl_hist_percentile(const sl_hist_t *h, double p) {
    if (h->count == 0)
        return 0;
    double r = ceil(p / 100.0 * (double)h->count);
    uint64_t rank = r < 1.0 ? 1 : (uint64_t)r;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (unsigned i = 0; i < SL_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t lo = sl_hist_bucket_low(i), hi = sl_hist_bucket_high(i);
            uint64_t v = lo + (hi - lo) / 2;
            if (v < h->min)
                v = h->min;
            if (v > h->max)
                v = h->max;
            return v;
        }
    }
    return h->max;
}
