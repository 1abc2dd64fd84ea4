"""Checks a `slbench --repeat auto` CSV: the allocators take turns (one cell each per round),
each ran `n` repetitions and its last row records why it stopped, the others none; `ci_pct`
appears from the sixth repetition on and equals the interval scripts/slstats.py computes
from the same values; the stop reason agrees with it.
Usage: check_auto.py SOURCE_DIR FILE.csv N target|cap TARGET_PCT"""
import csv
import os
import sys

src, path, want_n, want_stop, target = sys.argv[1:6]
sys.path.insert(0, os.path.join(src, "scripts"))
import slstats  # noqa: E402

want_n, target = int(want_n), float(target) / 100


def fail(msg):
    print("FAIL:", path, msg)
    sys.exit(1)


lines = open(path).read().splitlines()
meta = dict(line[1:].strip().split(": ", 1) for line in lines if line.startswith("# "))
if meta.get("repeat") != "auto" or meta.get("min_repeat") != "6":
    fail(f"metadata repeat {meta.get('repeat')}, min_repeat {meta.get('min_repeat')}")
rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
labels = [r["allocator"] + ":" + r["variant"] for r in rows]
order = list(dict.fromkeys(labels))
if len(order) != 2:
    fail(f"allocators {order}")
for i, lab in enumerate(labels):  # both run every round, in the order given
    if lab != order[i % 2] or int(rows[i]["rep"]) != i // 2:
        fail(f"row {i}: {lab} rep {rows[i]['rep']} breaks the round-robin")
for lab in order:
    mine = [r for r in rows if r["allocator"] + ":" + r["variant"] == lab]
    if len(mine) != want_n:
        fail(f"{lab}: {len(mine)} repetitions, want {want_n}")
    for i, r in enumerate(mine):
        if r["status"] != "ok":
            fail(f"{lab} rep {i}: {r['status']}")
        want = want_stop if i == want_n - 1 else ""
        if r["stop"] != want:
            fail(f"{lab} rep {i}: stop '{r['stop']}', want '{want}'")
        s = slstats.Summary([float(x["mops_per_s"]) for x in mine[:i + 1]], target)
        if i < 5:
            if r["ci_pct"]:
                fail(f"{lab} rep {i}: ci_pct before six repetitions")
            continue
        if abs(float(r["ci_pct"]) - 100 * s.halfwidth) > 0.006:
            fail(f"{lab} rep {i}: ci_pct {r['ci_pct']}, slstats {100 * s.halfwidth:.3f}")
        if r["stop"] and (r["stop"] == "target") != s.met:
            fail(f"{lab}: stop {r['stop']} but slstats says met={s.met}")
print(f"auto ok: {path}: {len(rows)} rows, stop {want_stop}")
