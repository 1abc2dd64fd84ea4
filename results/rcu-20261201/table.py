#!/usr/bin/python3
"""rcu against mutex, per workload x threads x policy, from one slbench CSV that ran both
(spanlab:mutex/all,spanlab:rcu/all): medians of mops_per_cpu_s, their ratio mutex/rcu
(how many times more CPU rcu spends per operation; the target is <= 1.3), the
Hodges-Lehmann estimate of the same ratio with its 95 % interval and the Mann-Whitney p
(scripts/slstats.py), mcentral calls per 1000 allocations (2000 * cache_calls / ops), and
rcu's grace periods: waited for on the allocation path, and run in the background (per
cell, median). Prints a Markdown table.

    results/rcu-20261201/table.py RUN.csv
"""
import collections
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..",
                                "scripts"))
import slstats  # noqa: E402


def main(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(line for line in f if line.strip() and not line.startswith("#")))
    cells = collections.defaultdict(list)
    failed = 0
    for r in rows:
        if r["status"] != "ok":
            failed += 1
            continue
        cells[(r["workload"], int(r["threads"]), r["policy"], r["variant"])].append(r)
    print("| workload | threads | policy | mutex M/cpu-s | rcu M/cpu-s | ratio | HL ratio [95 %] | p "
          "| mcentral calls /1000 allocs (mutex, rcu) | rcu grace waits | rcu bg grace periods |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for w, t, p in sorted({k[:3] for k in cells}):
        m, r = cells.get((w, t, p, "mutex")), cells.get((w, t, p, "rcu"))
        if not m or not r:
            continue
        mv = [float(x["mops_per_cpu_s"]) for x in m]
        rv = [float(x["mops_per_cpu_s"]) for x in r]
        ratio = slstats.median(mv) / slstats.median(rv)
        worst = max(worst, ratio)
        mw = slstats.MannWhitney(mv, rv)
        hl = (f"{mw.ratio:.2f} [{mw.ratio_lo:.2f}, {mw.ratio_hi:.2f}]" if mw.ratio_lo else
              f"{mw.ratio:.2f}" if mw.ratio else "")

        def calls(xs):
            return slstats.median([2000 * float(x["cache_calls"]) / float(x["ops"]) for x in xs])

        waits = slstats.median([float(x["grace_periods"]) for x in r])
        bg = slstats.median([float(x["grace_periods_bg"]) for x in r])
        print(f"| {w} | {t} | {p} | {slstats.median(mv):.1f} | {slstats.median(rv):.1f} | "
              f"{ratio:.2f} | {hl} | {mw.p:.2f} | {calls(m):.1f}, {calls(r):.1f} | {waits:.0f} "
              f"| {bg:.0f} |")
    print(f"\nworst ratio of medians: {worst:.2f}; failed cells: {failed}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
