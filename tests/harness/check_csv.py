"""Checks that an slbench CSV is well formed: metadata lines first (with the keys
results/README.md promises), one header, every row with as many fields as the header,
the columns of schema 6 in order, numeric fields numeric, and `# complete:` at the end.
Usage: check_csv.py FILE.csv EXPECTED_ROWS"""
import csv
import sys

REQUIRED_META = ["command", "git_revision", "host", "cpu_model", "cores", "compiler", "date",
                 "kernel", "sampling_interval", "latency_clock", "repeat", "target_ci_pct",
                 "interval", "complete"]
# The header of schema 6, in the order results/README.md documents: harness/csv.c makes
# the mcentral counters' columns from SL_CENTRAL_COUNTERS (alloc/spanlab.h), and this list
# is what they must come out as.
COLUMNS = ["allocator", "variant", "workload", "threads", "rep", "seconds", "ops", "mops_per_s",
           "lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_max_ns", "rss_peak_kib",
           "status", "cpu_seconds", "mops_per_cpu_s", "lat_samples", "rss_final_kib", "load_start",
           "load_end", "stop", "ci_pct", "minor_faults", "cache_calls", "uncache_calls",
           "put_available_calls", "spans_grown", "spans_returned", "spans_available",
           "spans_parked", "spans_cached", "lock_waits", "cas_retries", "grace_periods",
           "grace_periods_bg", "scav_releases", "scav_pages_released", "scav_pages_refaulted",
           "local_frees", "remote_frees", "home_returns", "spills", "params", "extra", "policy",
           "sweep_cycles", "swept_alloc", "swept_bg", "sweep_reclaimed", "cache_slots", "flushes",
           "adoptions", "refills"]
NUMERIC = ["threads", "rep", "seconds", "ops", "mops_per_s", "lat_p50_ns", "lat_p90_ns",
           "lat_p99_ns", "lat_p999_ns", "lat_max_ns", "rss_peak_kib", "cpu_seconds",
           "mops_per_cpu_s", "load_start", "load_end"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


path, want_rows = sys.argv[1], int(sys.argv[2])
lines = open(path).read().splitlines()
meta, body, seen_body = {}, [], False
for i, line in enumerate(lines):
    if line.startswith("#"):
        if seen_body and not line.startswith("# complete:"):
            fail(f"line {i + 1}: metadata after the header")
        key, _, value = line[1:].strip().partition(":")
        meta[key.strip()] = value.strip()
    else:
        seen_body = True
        body.append(line)
if not lines[-1].startswith("# complete:"):
    fail("last line is not '# complete:'")
for k in REQUIRED_META:
    if k not in meta or not meta[k]:
        fail(f"metadata '{k}' missing")
reader = list(csv.reader(body))
header, rows = reader[0], reader[1:]
if header != COLUMNS:
    got, want = header + [""] * len(COLUMNS), COLUMNS + [""] * len(header)
    at = next(i for i in range(len(got)) if got[i] != want[i])
    fail(f"header is not schema 5: column {at + 1} is '{got[at]}', want '{want[at]}'")
if len(rows) != want_rows:
    fail(f"{len(rows)} rows, want {want_rows}")
for n, r in enumerate(rows):
    if len(r) != len(header):
        fail(f"row {n}: {len(r)} fields, header has {len(header)}")
    d = dict(zip(header, r))
    if d["status"] != "ok":
        fail(f"row {n}: status {d['status']}")
    for c in NUMERIC:
        try:
            float(d[c])
        except ValueError:
            fail(f"row {n}: {c}='{d[c]}' is not a number")
    if meta["repeat"] != "auto":
        want = "fixed" if int(d["rep"]) == int(meta["repeat"]) - 1 else ""
        if d["stop"] != want:
            fail(f"row {n}: stop '{d['stop']}', want '{want}'")
    if float(d["ops"]) <= 0 or float(d["mops_per_s"]) <= 0:
        fail(f"row {n}: no ops")
    if (d["allocator"] == "spanlab") != bool(d["policy"]):
        fail(f"row {n}: policy '{d['policy']}' for allocator {d['allocator']}")
    if not float(d["lat_p50_ns"]) <= float(d["lat_p99_ns"]) <= float(d["lat_max_ns"]):
        fail(f"row {n}: percentiles out of order")
    spanlab = d["allocator"] == "spanlab"
    if spanlab != (d["cache_calls"] != ""):
        fail(f"row {n}: central counters must be filled exactly for spanlab rows")
    if spanlab:
        # Every span handed out has a free slot; a flush is one kind of uncache call.
        calls, slots = int(d["cache_calls"]), int(d["cache_slots"])
        if slots < calls or (calls == 0) != (slots == 0):
            fail(f"row {n}: {slots} free slots in {calls} acquisitions")
        if int(d["flushes"]) > int(d["uncache_calls"]):
            fail(f"row {n}: more flushes than uncache calls")
print(f"csv ok: {len(rows)} rows, {len(header)} columns")
