"""Tests of scripts/slstats.py (and scripts/compare) on synthetic data with a known answer.

Exact values first (the median interval's ranks, the Mann-Whitney null distribution),
then simulations with a fixed seed: a shifted distribution is detected, an identical one
is called different at the test's exact size and not more, and the intervals cover the
true median / ratio at their stated rate. The noise model is this machine's: lognormal
jitter plus one-sided bursts (a cell slowed by other load), not a normal distribution.
Usage: test_slstats.py SOURCE_DIR
"""
import math
import os
import random
import subprocess
import sys
import tempfile
from math import comb

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(SRC, "scripts"))
import slstats  # noqa: E402

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", msg)


def noisy(rng, centre, n, jitter=0.03, burst_p=0.15, burst=0.3):
    """n throughputs around `centre`: lognormal jitter, and with probability burst_p a
    slowdown of up to `burst` (other load on the machine)."""
    out = []
    for _ in range(n):
        v = centre * math.exp(rng.gauss(0, jitter))
        if rng.random() < burst_p:
            v *= 1 - burst * rng.random()
        out.append(v)
    return out


def within(rate, expected, trials, sigmas=4.0):
    """rate is expected up to `sigmas` binomial standard errors."""
    se = math.sqrt(max(expected * (1 - expected), 1e-4) / trials)
    return abs(rate - expected) <= sigmas * se


# --- Exact values -----------------------------------------------------------------------

TABLE = {3: (1, 0.75), 5: (1, 0.9375), 6: (1, 0.96875), 8: (1, 0.9921875),
         9: (2, 0.9609375), 11: (2, 0.98828125), 12: (3, 0.96142578125),
         17: (5, 0.950958251953125), 20: (6, 0.958610534668), 100: (40, 0.9647998)}
for n, (k, cov) in TABLE.items():
    gk, gcov = slstats.median_ci_rank(n)
    check(gk == k and abs(gcov - cov) < 1e-6, f"median_ci_rank({n}) = {gk}, {gcov}")
med, lo, hi, cov = slstats.median_ci([90, 10, 50, 30, 70, 20, 80, 40, 60])
check((med, lo, hi) == (50, 20, 80), f"median_ci of nine: {med} [{lo}, {hi}]")
check(abs(slstats.rel_halfwidth(med, lo, hi) - 0.6) < 1e-12, "reach of nine")
s = slstats.Summary([100, 101, 99, 100.5, 99.5, 100.2], target=0.05)
check(s.met and not s.noisy and s.n == 6, "six close values meet +-5 %")
s = slstats.Summary([100, 101, 99], target=0.05)
check(not s.met and abs(s.coverage - 0.75) < 1e-12, "three values have no 95 % interval")
s = slstats.Summary([100, 80, 100, 100, 100, 100], target=0.05)
check(not s.met and s.noisy, "one burst among six: interval reaches 20 %, RSD above 5 %")
check(abs(slstats.rsd([1, 2, 3]) - 0.5) < 1e-12, "rsd")

for m, n in ((3, 3), (2, 5), (4, 7), (10, 12)):
    counts = slstats.u_null_counts(m, n)
    check(sum(counts) == comb(m + n, m), f"U counts of {m},{n} sum to C(m+n, m)")
    check(counts == counts[::-1], f"U distribution of {m},{n} is symmetric")
check(slstats.u_null_counts(3, 3) == [1, 1, 2, 3, 3, 3, 3, 2, 1, 1], "U counts of 3,3")
# Brute force over every arrangement for a small case.
import itertools  # noqa: E402
brute = [0] * 13
for pos in itertools.combinations(range(7), 3):
    brute[sum(1 for i in pos for j in range(7) if j not in pos and i > j)] += 1
check(slstats.u_null_counts(3, 4) == brute, "U counts of 3,4 by enumeration")

mw = slstats.MannWhitney([4, 5, 6], [1, 2, 3])
check(mw.exact and abs(mw.p - 0.1) < 1e-12 and mw.superiority == 1, "3 vs 3 separated: p 0.1")
mw = slstats.MannWhitney([5, 6, 7, 8], [1, 2, 3, 4])
check(abs(mw.p - 2 / 70) < 1e-12 and slstats.verdict(mw) == "faster", "4 vs 4 separated")
check(mw.ratio_lo is not None and mw.ratio_lo > 1, "4 vs 4: ratio interval above 1")
mw = slstats.MannWhitney([1, 3, 5, 7], [2, 4, 6, 8])
check(abs(mw.p - 48 / 70) < 1e-12 and slstats.verdict(mw) == "same",
      f"interleaved 4 vs 4: p {mw.p}")
mw = slstats.MannWhitney([5.0] * 6, [5.0] * 6)
check(not mw.exact and mw.p == 1.0 and slstats.verdict(mw) == "same", "all tied: p 1")
# The normal approximation agrees with the exact distribution at moderate sizes.
rng = random.Random(7)
for _ in range(20):
    a, b = noisy(rng, 100, 25), noisy(rng, 103, 25)
    exact = slstats.MannWhitney(a, b)
    saved, slstats.EXACT_LIMIT = slstats.EXACT_LIMIT, 0
    approx = slstats.MannWhitney(a, b)
    slstats.EXACT_LIMIT = saved
    check(exact.exact and not approx.exact and abs(exact.p - approx.p) < 0.01,
          f"exact p {exact.p} vs normal {approx.p}")
adj = slstats.holm([0.01, 0.04, 0.03, 0.5])
check([round(x, 12) for x in adj] == [0.04, 0.09, 0.09, 0.5], f"holm {adj}")

# --- Simulations with known answers -------------------------------------------------------

TRIALS = 2000
rng = random.Random(20261201)

# An identical distribution is called different at the exact size of the test, no more:
# the exact size of the 8-against-8 test at alpha 0.05 is P(p < 0.05) under the null.
m = n = 8
counts, total = slstats.u_null_counts(m, n), comb(m + n, m)
size = 0.0
for u in range(m * n + 1):
    p = min(1.0, 2 * min(sum(counts[:u + 1]), sum(counts[u:])) / total)
    if p < 0.05:
        size += counts[u] / total
false_pos = sum(slstats.MannWhitney(noisy(rng, 100, m), noisy(rng, 100, n)).significant()
                for _ in range(TRIALS)) / TRIALS
check(size <= 0.05 and within(false_pos, size, TRIALS),
      f"identical distributions: rejected {false_pos:.3f}, exact size {size:.4f}")
print(f"identical, 8 vs 8: called different in {100 * false_pos:.1f} % (exact size "
      f"{100 * size:.2f} %)")

# A 10 % shift under 3 % jitter and bursts is detected, in the right direction, at least
# 90 % of the time with 12 repetitions each (96 % in this simulation; 84 % with 8).
found = wrong = 0
for _ in range(TRIALS):
    mw = slstats.MannWhitney(noisy(rng, 110, 12), noisy(rng, 100, 12))
    v = slstats.verdict(mw)
    found += v == "faster"
    wrong += v == "slower"
check(found / TRIALS >= 0.9 and wrong == 0, f"10 % shift: detected {found}, wrong way {wrong}")
print(f"10 % faster, 12 vs 12: detected in {100 * found / TRIALS:.1f} %, wrong way {wrong}")

# A 1 % shift under 10 % jitter is (almost always) not a finding at 6 repetitions.
found = sum(slstats.MannWhitney(noisy(rng, 101, 6, jitter=0.10),
                                noisy(rng, 100, 6, jitter=0.10)).significant()
            for _ in range(TRIALS)) / TRIALS
check(found < 0.15, f"1 % shift under 10 % noise: called different in {found:.3f}")

# The median's interval covers the true median at its exact coverage (n = 10: 97.85 %).
# Values: exponential around a known median (ln 2 / rate), plus a constant.
cover = 0
for _ in range(TRIALS):
    xs = [50 + rng.expovariate(0.1) for _ in range(10)]
    _, lo, hi, _ = slstats.median_ci(xs)
    cover += lo <= 50 + math.log(2) / 0.1 <= hi
k, exact_cov = slstats.median_ci_rank(10)
check(within(cover / TRIALS, exact_cov, TRIALS),
      f"median interval coverage {cover / TRIALS:.4f}, exact {exact_cov:.4f}")

# The Hodges-Lehmann ratio interval covers a true ratio of 1.2 at least 95 % of the time.
cover = 0
for _ in range(TRIALS):
    a = [1.2 * 100 * math.exp(rng.gauss(0, 0.05)) for _ in range(7)]
    b = [100 * math.exp(rng.gauss(0, 0.05)) for _ in range(9)]
    mw = slstats.MannWhitney(a, b)
    cover += mw.ratio_lo <= 1.2 <= mw.ratio_hi
check(cover / TRIALS >= 0.95 - 4 * math.sqrt(0.05 * 0.95 / TRIALS),
      f"ratio interval coverage {cover / TRIALS:.4f}")

# --- scripts/compare on synthetic CSVs ------------------------------------------------------

COLS = "allocator,variant,workload,threads,rep,mops_per_s,mops_per_cpu_s,status"


def write_csv(path, cells):
    with open(path, "w") as f:
        f.write("# slbench: synthetic\n" + COLS + "\n")
        for (alloc, variant, wl, t), values in cells.items():
            for rep, v in enumerate(values):
                f.write(f"{alloc},{variant},{wl},{t},{rep},{v:.4f},{v:.4f},ok\n")
        f.write("# complete: synthetic\n")


def run_compare(*args):
    out = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "compare"), *args],
                         capture_output=True, text=True)
    return out.returncode, out.stdout + out.stderr


with tempfile.TemporaryDirectory() as tmp:
    # Known answers: the same values reordered (no difference at all), the values 30 %
    # faster with 4 % spread (every repetition beats every baseline one), 3 against 3.
    base = [100, 96, 104, 99, 101, 97, 103, 98]
    before = {("glibc", "", "threadtest", 1): base,
              ("spanlab", "mutex", "threadtest", 1): [1.3 * v for v in base],
              ("jemalloc", "", "threadtest", 1): base[::-1],
              ("glibc", "", "larson", 1): base[:3],
              ("spanlab", "spin", "larson", 1): [2 * v for v in base[:3]]}
    after = dict(before)
    after[("spanlab", "mutex", "threadtest", 1)] = base
    a, b = os.path.join(tmp, "a.csv"), os.path.join(tmp, "b.csv")
    write_csv(a, before)
    write_csv(b, after)
    rc, out = run_compare(a, "--baseline", "glibc")
    lines = {line.split("|")[3].strip(): line for line in out.splitlines()
             if line.startswith("| ")}
    check(rc == 0, f"compare --baseline exit {rc}: {out}")
    check("faster" in lines.get("spanlab:mutex", ""), f"30 % faster not found:\n{out}")
    check("| same |" in lines.get("jemalloc", ""), f"identical called different:\n{out}")
    check("too few repetitions" in lines.get("spanlab:spin", ""), f"3 reps not refused:\n{out}")
    rc, out = run_compare(a, b)
    lines = {line.split("|")[3].strip(): line for line in out.splitlines()
             if line.startswith("| threadtest")}
    check(rc == 0 and "slower" in lines.get("spanlab:mutex", ""),
          f"before/after: the 30 % regression not found:\n{out}")
    check("| same |" in lines.get("glibc", ""), f"before/after: unchanged cell:\n{out}")
    # scripts/plot --baseline marks the same verdicts in its relative table.
    try:
        import matplotlib  # noqa: F401
        have_mpl = True
    except ImportError:
        have_mpl = False
        print("matplotlib missing: scripts/plot --baseline not checked")
    if have_mpl:
        out = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "plot"), a,
                              "--baseline", "glibc", "--out", os.path.join(tmp, "p")],
                             capture_output=True, text=True)
        md = open(os.path.join(tmp, "p", "summary.md")).read() if out.returncode == 0 else ""
        rel = {line.split("|")[1].strip(): line.split("|")[2].strip()
               for line in md.split("Throughput relative to")[1].splitlines()
               if line.startswith("| ")} if "Throughput relative to" in md else {}
        check(rel.get("spanlab:mutex", "").endswith("▲") and rel.get("jemalloc", "") == "1 =",
              f"plot --baseline threadtest verdicts {rel}: {out.stderr}")
        larson = md.split("Throughput relative to")[-1] if md.count("Throughput relative") > 1 \
            else ""
        check("| spanlab:spin | 2 ? |" in larson, f"plot --baseline, 3 vs 3:\n{larson}")
    rc, out = run_compare(a, "--baseline", "hoard")
    check(rc == 2 and "hoard" in out, f"unknown baseline: exit {rc}: {out}")
    rc, out = run_compare(a)
    check(rc == 2, f"one CSV without --baseline: exit {rc}")

if failures:
    print(f"{failures} failure(s)")
    sys.exit(1)
print("slstats ok")
