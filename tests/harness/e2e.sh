#!/bin/sh
# A short sweep end to end: two allocators (spanlab:mutex and glibc), two workloads,
# 1 and 2 threads, 2 repetitions; the CSV must be well formed, a failed cell must be
# recorded and not stop the sweep, --repeat auto must interleave the allocators and stop
# each one for the reason it records, and scripts/plot must produce the figures.
# Usage: e2e.sh path/to/slbench SOURCE_DIR [csv|plot|fail|auto]
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
    "$PY" "$SRC/tests/harness/check_csv.py" "$TMP/r/run.csv" 12
    ;;
plot)
    "$PY" -c 'import matplotlib' 2>/dev/null || { echo "matplotlib missing: skipped"; exit 77; }
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest,larson --threads 1,2 \
        --seconds 0.05 --repeat 2 --quiet --out "$TMP/p/run.csv" || exit 1
    "$PY" "$SRC/scripts/plot" "$TMP/p/run.csv" || exit 1
    for f in threadtest.png threadtest.svg larson.png larson.svg summary.md; do
        [ -s "$TMP/p/$f" ] || { echo "FAIL: $f not written"; exit 1; }
    done
    grep -q "spanlab:mutex" "$TMP/p/summary.md" && grep -q "glibc" "$TMP/p/summary.md" ||
        { echo "FAIL: summary.md lacks an allocator"; exit 1; }
    echo "plot ok"
    ;;
auto)
    # A target no interval can miss (every value within +-1000 % of the median: 6 values
    # are the fewest with a 95 % interval), then one none can meet (cap at 7).
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest --threads 1 --seconds 0.02 \
        --repeat auto --max-repeat 8 --target-ci 1000 --quiet --out "$TMP/a/easy.csv" || exit 1
    "$SLBENCH" --alloc spanlab:mutex,glibc --workload threadtest --threads 1 --seconds 0.02 \
        --repeat auto --max-repeat 7 --target-ci 0.000001 --quiet --out "$TMP/a/hard.csv" ||
        exit 1
    "$PY" "$SRC/tests/harness/check_auto.py" "$SRC" "$TMP/a/easy.csv" 6 target 1000 &&
        "$PY" "$SRC/tests/harness/check_auto.py" "$SRC" "$TMP/a/hard.csv" 7 cap 0.000001 ||
        exit 1
    ;;
fail)
    # A timeout is recorded as `timeout` and the sweep goes on to the next cell.
    "$SLBENCH" --alloc glibc --workload threadtest --threads 1 --seconds 3 --repeat 2 \
        --param timeout=1 --quiet --out "$TMP/f/run.csv" || exit 1
    n=$(grep -c '^glibc,.*,timeout,' "$TMP/f/run.csv")
    [ "$n" = 2 ] || { echo "FAIL: want 2 timeout rows, got $n"; cat "$TMP/f/run.csv"; exit 1; }
    echo "failure recording ok"
    ;;
esac
