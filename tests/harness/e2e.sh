#!/bin/sh
# A short sweep end to end: two allocators (spanlab:mutex and glibc), two workloads,
# 1 and 2 threads, 2 repetitions; the CSV must be well formed, a failed cell must be
# recorded and not stop the sweep, --repeat auto must interleave the allocators and stop
# each one for the reason it records, and scripts/plot must produce the figures.
# Usage: e2e.sh path/to/slbench SOURCE_DIR [csv|plot|fail|auto|published|compare]
set -u
SLBENCH=$1 SRC=$2 PART=${3:-csv}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

case "$PART" in
csv)
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest,central --threads 1,2 \
        --seconds 0.05 --repeat 2 --out "$TMP/r/run.csv" || exit 1
    [ ! -e "$TMP/r/run.csv.partial" ] || { echo "FAIL: partial file left"; exit 1; }
    # threadtest: 2 allocators x 2 thread counts x 2 reps; central: spanlab only, 4 rows.
    "$PY" "$SRC/tests/harness/check_csv.py" "$TMP/r/run.csv" 12 || exit 1
    # The floor of 8-byte threadtest is one acquisition per 1024 objects.
    "$PY" "$SRC/scripts/central-calls" "$TMP/r/run.csv" > "$TMP/r/calls.md" || exit 1
    grep -q "^| threadtest | 2 | home | mutex | .* | 0.98 | " "$TMP/r/calls.md" ||
        { echo "FAIL: central-calls"; cat "$TMP/r/calls.md"; exit 1; }
    ;;
plot)
    "$PY" -c 'import matplotlib' 2>/dev/null || { echo "matplotlib missing: skipped"; exit 77; }
    "$SLBENCH" --alloc spanlab:mutex/all,glibc --workload threadtest,larson --threads 1,2 \
        --seconds 0.05 --repeat 2 --quiet --out "$TMP/p/run.csv" || exit 1
    "$PY" "$SRC/scripts/plot" "$TMP/p/run.csv" || exit 1
    for f in threadtest.png threadtest.svg larson.png larson.svg summary.md; do
        [ -s "$TMP/p/$f" ] || { echo "FAIL: $f not written"; exit 1; }
    done
    for a in spanlab:mutex/eager spanlab:mutex/home glibc "mcentral/1k alloc"; do
        grep -q "$a" "$TMP/p/summary.md" || { echo "FAIL: summary.md lacks $a"; exit 1; }
    done
    echo "plot ok"
    ;;
auto)
    # A target no interval can miss (every value within +-1000 % of the median: 6 values
    # are the fewest with a 95 % interval), then one none can meet (cap at 7). The easy
    # run's cells are long enough that a loaded machine cannot put one value 11 times
    # above the median (with 0.02 s cells at load 15 on 2 cores, it once did).
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest --threads 1 --seconds 0.1 \
        --repeat auto --max-repeat 8 --target-ci 1000 --quiet --out "$TMP/a/easy.csv" || exit 1
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest --threads 1 --seconds 0.02 \
        --repeat auto --max-repeat 7 --target-ci 0.000001 --quiet --out "$TMP/a/hard.csv" ||
        exit 1
    "$PY" "$SRC/tests/harness/check_auto.py" "$SRC" "$TMP/a/easy.csv" 6 target 1000 &&
        "$PY" "$SRC/tests/harness/check_auto.py" "$SRC" "$TMP/a/hard.csv" 7 cap 0.000001 ||
        exit 1
    ;;
compare)
    # Two runs on one figure: lines keyed by (run, allocator), labels from --label or from
    # the metadata that tells the runs apart (here the host), the relative figure, and CSVs
    # of one run merging.
    "$PY" -c 'import matplotlib' 2>/dev/null || { echo "matplotlib missing: skipped"; exit 77; }
    for run in a b; do
        "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest --threads 1,2 \
            --seconds 0.05 --repeat 2 --quiet --out "$TMP/c/$run.csv" || exit 1
    done
    sed 's/^# host: .*/# host: otherhost/' "$TMP/c/b.csv" >"$TMP/c/other.csv"
    "$PY" "$SRC/scripts/plot" "$TMP/c/a.csv" "$TMP/c/b.csv" --label before --label after \
        --baseline glibc --out "$TMP/c/l" || exit 1
    for f in threadtest.png threadtest.svg threadtest-relative.png threadtest-relative.svg \
        summary.md; do
        [ -s "$TMP/c/l/$f" ] || { echo "FAIL: $f not written"; exit 1; }
    done
    for lab in "before: spanlab:mutex" "before: glibc" "after: spanlab:mutex" "after: glibc"; do
        grep -q "$lab" "$TMP/c/l/threadtest.svg" || { echo "FAIL: no line '$lab' in the figure"; exit 1; }
        grep -q "$lab" "$TMP/c/l/threadtest-relative.svg" ||
            { echo "FAIL: no line '$lab' in the relative figure"; exit 1; }
    done
    # The baseline relative to itself is exactly 1 at every thread count, in each run.
    grep -q "^| before: glibc | 1 | 1 |\$" "$TMP/c/l/summary.md" &&
        grep -q "^| after: glibc | 1 | 1 |\$" "$TMP/c/l/summary.md" ||
        { echo "FAIL: glibc relative to itself is not 1"; grep glibc "$TMP/c/l/summary.md"; exit 1; }
    # Without --label, runs from different machines are told apart by host; the same
    # machine and revision in two files is one run.
    "$PY" "$SRC/scripts/plot" "$TMP/c/a.csv" "$TMP/c/other.csv" --out "$TMP/c/m" || exit 1
    grep -q "otherhost: glibc" "$TMP/c/m/summary.md" || { echo "FAIL: no run labelled by host"; exit 1; }
    "$PY" "$SRC/scripts/plot" "$TMP/c/a.csv" "$TMP/c/b.csv" --out "$TMP/c/s" || exit 1
    grep -q "^| glibc |" "$TMP/c/s/summary.md" && ! grep -q ": glibc" "$TMP/c/s/summary.md" ||
        { echo "FAIL: two CSVs of one run did not merge"; exit 1; }
    # Bad input: a --label count that does not match, a baseline no row has.
    "$PY" "$SRC/scripts/plot" "$TMP/c/a.csv" "$TMP/c/b.csv" --label x --out "$TMP/c/x" 2>"$TMP/c/err" &&
        { echo "FAIL: one --label for two CSVs accepted"; exit 1; }
    "$PY" "$SRC/scripts/plot" "$TMP/c/a.csv" --baseline jemalloc --out "$TMP/c/x" 2>"$TMP/c/err" &&
        { echo "FAIL: a baseline without rows accepted"; exit 1; }
    grep -q "no successful row of that allocator" "$TMP/c/err" || { echo "FAIL: baseline message"; exit 1; }
    echo "plot comparison ok"
    ;;
published)
    # The workloads that mirror published benchmarks run with the published defaults (the
    # params column says so), and with the earlier defaults through --param.
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest,larson,prodcons,scratch \
        --threads 1,2 --seconds 0.05 --repeat 1 --quiet --out "$TMP/w/pub.csv" || exit 1
    "$PY" "$SRC/tests/harness/check_csv.py" "$TMP/w/pub.csv" 16 || exit 1
    for want in "threadtest,.*,batch=30000;size=8;split=1," \
        "larson,.*,slots=5000;min=8;max=1000;rounds=500000;warmup=1;stall_ppm=0;stall_us=50;stall_spin=0," \
        "prodcons,.*,size=64;batch=4096;depth=100;touch=128," "scratch,.*,size=1;writes=2000000,"; do
        [ "$(grep -c "^[a-z]*,[a-z]*,$want" "$TMP/w/pub.csv")" = 4 ] ||
            { echo "FAIL: want 4 rows matching $want"; exit 1; }
    done
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest,larson,prodcons,scratch \
        --threads 1,2 --seconds 0.05 --repeat 1 --quiet --out "$TMP/w/old.csv" \
        --param threadtest.batch=1000 --param threadtest.size=64 --param split=0 \
        --param slots=1000 --param larson.min=16 --param larson.max=128 --param rounds=10000 \
        --param warmup=0 --param prodcons.batch=64 --param depth=16 --param prodcons.touch=1 \
        --param scratch.size=8 --param writes=100 || exit 1
    "$PY" "$SRC/tests/harness/check_csv.py" "$TMP/w/old.csv" 16 || exit 1
    grep -q ",slots=1000;min=16;max=128;rounds=10000;warmup=0;stall_ppm=0;stall_us=50;stall_spin=0," "$TMP/w/old.csv" ||
        { echo "FAIL: larson's earlier defaults not in effect"; exit 1; }
    "$SLBENCH" --list | grep -q "source: .*larson 5 8 1000 5000 100 4141 T" ||
        { echo "FAIL: --list does not name larson's source"; exit 1; }
    echo "published parameterizations ok"
    ;;
fail)
    # A timeout is recorded as `timeout`, the sweep goes on to the next cell, and the
    # sweep exits 3 (0 with --keep-going).
    "$SLBENCH" --alloc glibc --workload threadtest --threads 1 --seconds 3 --repeat 2 \
        --param timeout=1 --quiet --out "$TMP/f/run.csv"
    rc=$?
    [ $rc = 3 ] || { echo "FAIL: a sweep with failed cells exited $rc, want 3"; exit 1; }
    n=$(grep -c '^glibc,.*,timeout,' "$TMP/f/run.csv")
    [ "$n" = 2 ] || { echo "FAIL: want 2 timeout rows, got $n"; cat "$TMP/f/run.csv"; exit 1; }
    "$SLBENCH" --alloc glibc --workload threadtest --threads 1 --seconds 3 --repeat 1 \
        --param timeout=1 --quiet --keep-going --out "$TMP/k/run.csv" ||
        { echo "FAIL: --keep-going exited $?"; exit 1; }
    grep -q '^glibc,.*,timeout,' "$TMP/k/run.csv" || { echo "FAIL: no timeout row with --keep-going"; exit 1; }
    echo "failure recording ok"
    ;;
esac
