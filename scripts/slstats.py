"""Statistics for slbench results, shared by scripts/plot and scripts/compare.

Plain Python (no numpy or scipy), exact where the sample sizes of a benchmark allow it.
Every method is distribution-free: benchmark noise on a shared machine is one-sided and
heavy-tailed (a burst of other load slows a cell, nothing speeds it up), so nothing here
assumes a normal distribution.

- Location of one sample: the median, with the distribution-free 95 % confidence interval
  from order statistics, [x(k), x(n+1-k)], k the largest rank whose binomial coverage
  1 - 2 P(Bin(n, 1/2) <= k-1) is at least 95 %. It exists from n = 6 on (the range of 6
  values covers the median with 96.9 %); for n < 6 the range [min, max] is reported with
  its true, lower coverage (75 % for n = 3). harness/stats.c computes the same interval for
  `slbench --repeat auto`; the two are tested against the same table.
- Spread: the relative standard deviation (sd / mean), the figure issue reports quote.
- Comparison of two samples: the two-sided Mann-Whitney U test (exact null distribution
  without ties and for m + n <= 120; otherwise the normal approximation with tie and
  continuity corrections), and as effect size the Hodges-Lehmann ratio (the median of all
  ratios a_i / b_j) with its distribution-free 95 % interval (inverted from the same U
  distribution, so the interval excludes 1 exactly when the exact test rejects), plus the
  probability of superiority P(a > b) = U / (m n).
"""
import math
from math import comb

CONFIDENCE = 0.95
RSD_LIMIT = 0.05  # a group's relative standard deviation above this is flagged


def finite(values):
    """The values that are numbers (floats or strings), NaN and blanks dropped."""
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if not math.isnan(f):
            out.append(f)
    return out


def median(xs):
    s = sorted(xs)
    n = len(s)
    if not n:
        return math.nan
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def mean(xs):
    return sum(xs) / len(xs) if xs else math.nan


def sd(xs):
    """Sample standard deviation (n - 1); 0 for a single value."""
    if len(xs) < 2:
        return 0.0 if xs else math.nan
    m = mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def rsd(xs):
    """Relative standard deviation sd / mean (a fraction); NaN for fewer than 2 values."""
    if len(xs) < 2:
        return math.nan
    m = mean(xs)
    return sd(xs) / m if m else math.nan


def binom_half_cdf(k, n):
    """P(Bin(n, 1/2) <= k), exactly."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return sum(comb(n, i) for i in range(k + 1)) / 2 ** n


def median_ci_rank(n, confidence=CONFIDENCE):
    """(k, coverage): the interval [x(k), x(n+1-k)] (ranks from 1) and its exact coverage.
    k = 1 with a coverage below `confidence` when n is too small for a full interval."""
    if n < 1:
        return 0, 0.0
    k, cov = 1, 1 - 2 * binom_half_cdf(0, n)
    while k + 1 <= (n + 1) // 2:
        c = 1 - 2 * binom_half_cdf(k, n)
        if c < confidence:
            break
        k, cov = k + 1, c
    return k, cov


def median_ci(xs, confidence=CONFIDENCE):
    """(median, lo, hi, coverage) of the values; NaNs when there are none."""
    s = sorted(xs)
    n = len(s)
    if not n:
        return math.nan, math.nan, math.nan, 0.0
    if n == 1:
        return s[0], s[0], s[0], 0.0
    k, cov = median_ci_rank(n, confidence)
    return median(s), s[k - 1], s[n - k], cov


def rel_halfwidth(med, lo, hi):
    """How far the interval reaches from the median, as a fraction of it (max of the two
    sides: an interval within +-5 % has rel_halfwidth <= 0.05)."""
    if not med or any(math.isnan(v) for v in (med, lo, hi)):
        return math.nan
    return max(med - lo, hi - med) / abs(med)


class Summary:
    """One group of repetitions: n, median and its interval, spread."""

    def __init__(self, values, target=0.05, confidence=CONFIDENCE):
        xs = finite(values)
        self.n = len(xs)
        self.median, self.lo, self.hi, self.coverage = median_ci(xs, confidence)
        self.halfwidth = rel_halfwidth(self.median, self.lo, self.hi)
        self.rsd = rsd(xs)
        self.target = target
        self.confidence = confidence
        # The interval is a full one (coverage reached) and within +-target.
        self.met = (self.n > 1 and self.coverage >= confidence - 1e-12 and
                    self.halfwidth <= target + 1e-12)
        self.noisy = not math.isnan(self.rsd) and self.rsd > RSD_LIMIT


# --- Mann-Whitney U --------------------------------------------------------------------

_U_CACHE = {}


def u_null_counts(m, n):
    """Number of orderings of m a's and n b's with U = u, for u = 0 .. m n (no ties): the
    coefficients of the Gaussian binomial [m+n choose m]_q = prod_i (1 - q^(n+i))/(1 - q^i)."""
    key = (min(m, n), max(m, n))
    if key in _U_CACHE:
        return _U_CACHE[key]
    m, n = key
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, m + 1):
        # Multiply by (1 - q^(n+i)), then divide by (1 - q^i) (exact: the quotient is a
        # polynomial), both in place over the first `size` coefficients.
        for u in range(size - 1, n + i - 1, -1):
            poly[u] -= poly[u - n - i]
        for u in range(i, size):
            poly[u] += poly[u - i]
    _U_CACHE[key] = poly
    return poly


def _ranks(values):
    """Mid-ranks (from 1) of the values and the tie-group sizes."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for t in range(i, j + 1):
            ranks[order[t]] = (i + j) / 2 + 1
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


EXACT_LIMIT = 120  # m + n up to which the exact distribution is used (without ties)


def _z(p):
    """Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00]
    lo = 0.02425
    if p < lo:
        q = math.sqrt(-2 * math.log(p))
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / \
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    if p > 1 - lo:
        return -_z(1 - p)
    q = p - 0.5
    r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / \
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)


def _phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


class MannWhitney:
    """Two-sided Mann-Whitney U test of a against b, with effect sizes.

    u: U of a (pairs with a_i > b_j, ties count 1/2); p: two-sided p-value; exact: whether
    the exact null distribution was used; superiority: P(a > b) + P(a = b)/2 = u/(m n);
    ratio, ratio_lo, ratio_hi: Hodges-Lehmann estimate of a/b and its 95 % interval
    (None where the samples are too small for one)."""

    def __init__(self, a, b, confidence=CONFIDENCE):
        a, b = finite(a), finite(b)
        self.m, self.n = m, n = len(a), len(b)
        self.p = math.nan
        self.u = math.nan
        self.exact = False
        self.superiority = math.nan
        self.ratio = self.ratio_lo = self.ratio_hi = None
        if not m or not n:
            return
        ranks, ties = _ranks(a + b)
        ra = sum(ranks[:m])
        self.u = u = ra - m * (m + 1) / 2
        self.superiority = u / (m * n)
        alpha = 1 - confidence
        k = 0  # ratio interval: the k-th smallest and k-th largest pairwise log ratio
        if not ties and m + n <= EXACT_LIMIT:
            self.exact = True
            counts = u_null_counts(m, n)
            total = comb(m + n, m)
            ui = int(round(u))
            lower = sum(counts[:ui + 1]) / total
            upper = sum(counts[ui:]) / total
            self.p = min(1.0, 2 * min(lower, upper))
            # k: the largest with P(U <= k - 1) <= alpha / 2.
            acc = 0
            while k < len(counts) and (acc + counts[k]) / total <= alpha / 2:
                acc += counts[k]
                k += 1
        else:
            mu = m * n / 2
            tie_term = sum(t ** 3 - t for t in ties) / ((m + n) * (m + n - 1))
            var = m * n / 12 * ((m + n + 1) - tie_term)
            if var > 0:
                z = (abs(u - mu) - 0.5) / math.sqrt(var)
                self.p = min(1.0, 2 * (1 - _phi(max(z, 0.0))))
            else:
                self.p = 1.0
            zc = _z(1 - alpha / 2)
            k = int(math.floor(mu - zc * math.sqrt(m * n * (m + n + 1) / 12)))
        if all(x > 0 for x in a + b):
            logs = sorted(math.log(x) - math.log(y) for x in a for y in b)
            self.ratio = math.exp(median(logs))
            if k >= 1:
                self.ratio_lo = math.exp(logs[k - 1])
                self.ratio_hi = math.exp(logs[len(logs) - k])

    def significant(self, alpha=1 - CONFIDENCE):
        return not math.isnan(self.p) and self.p < alpha

    def min_p(self):
        """The smallest two-sided p these sample sizes can give (exact, no ties)."""
        if not self.m or not self.n:
            return math.nan
        return min(1.0, 2 / comb(self.m + self.n, self.m))


def verdict(mw, alpha=1 - CONFIDENCE):
    """'faster', 'slower' (a against b, for a throughput), or 'same' (not beyond noise)."""
    if not mw.significant(alpha):
        return "same"
    return "faster" if mw.superiority > 0.5 else "slower"


def holm(pvalues):
    """Holm-Bonferroni adjusted p-values, same order (NaNs stay NaN)."""
    idx = [i for i, p in enumerate(pvalues) if not math.isnan(p)]
    idx.sort(key=lambda i: pvalues[i])
    out = list(pvalues)
    running, k = 0.0, len(idx)
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (k - rank) * pvalues[i]))
        out[i] = running
    return out


def fmt_pct(frac, digits=1):
    return "-" if frac is None or math.isnan(frac) else f"{100 * frac:.{digits}f}%"

