#!/usr/bin/env bash
# How far the free hit's checks and a LIFO reuse of the last allocation move the fast path.
# Builds libspanlab-preload.so at REV three times (as is, with each diff of this folder
# applied) in temporary worktrees, then runs, all through LD_PRELOAD:
#   slmicro: ROUNDS rounds, each running every build and the peers once (best of 3 inside);
#   slmicro once more per build and pattern with SPANLAB_STATS=1, for the counters;
#   slbench larson at 1 and 2 threads, every build beside spanlab:mutex (linked) and the
#   peers, REPEAT cells each.
# Usage: results/20261202-fastpath-floor/run.sh [REV] [ROUNDS] [REPEAT]  (defaults HEAD 11 8)
# Writes microbench.txt, counters.txt and larson.csv into this folder; PARTS=micro,
# PARTS=counters or PARTS=larson runs only that part.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=results/20261202-fastpath-floor
rev=${1:-HEAD}
rounds=${2:-11}
repeat=${3:-8}
parts=${PARTS:-micro,counters,larson}
want() { [[ ,$parts, == *,$1,* ]]; }
[ -e build/CMakeCache.txt ] || cmake --preset release >/dev/null
cmake --build build --target slmicro slbench >/dev/null
tmp=$(mktemp -d)
trap 'for w in "$tmp"/*/; do git worktree remove --force "$w" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
declare -A lib
for b in as-is no-free-checks lifo-last-free; do
    git worktree add -q --detach "$tmp/$b" "$rev"
    [ "$b" = as-is ] || git -C "$tmp/$b" apply "$PWD/$here/$b.diff"
    (cd "$tmp/$b" && cmake --preset release >/dev/null)
    cmake --build "$tmp/$b/build" -j"$(nproc)" --target spanlab_preload >/dev/null
    lib[$b]=$tmp/$b/build/libspanlab-preload.so
    echo "built $b at $(git rev-parse --short "$rev")" >&2
done
gl=/usr/lib/x86_64-linux-gnu
peers="tcmalloc=$gl/libtcmalloc_minimal.so.4 mimalloc=$gl/libmimalloc.so.2 jemalloc=$gl/libjemalloc.so.2"
for p in $peers; do # a missing library would only warn, and glibc would run under its name
    [ -e "${p#*=}" ] || { echo "run.sh: ${p#*=} not installed (scripts/deps installs it)" >&2; exit 1; }
done
if want micro; then {
    echo "# slmicro libc 3 under LD_PRELOAD, ns of thread CPU time per malloc+free pair"
    echo "# columns: round build single batch random; revision $(git rev-parse --short "$rev")"
    echo "# $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(nproc) cores"
    for r in $(seq "$rounds"); do
        echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
        for b in as-is no-free-checks lifo-last-free; do
            echo "$r $b $(LD_PRELOAD=${lib[$b]} build/harness/slmicro libc 3)"
        done
        for p in $peers; do
            echo "$r ${p%%=*} $(LD_PRELOAD=${p#*=} build/harness/slmicro libc 3)"
        done
    done
} | tee "$here/microbench.txt"; fi
if want counters; then {
    echo "# SPANLAB_STATS=1 slmicro libc 1 PATTERN: allocations are 10 M (single), 5 M (batch),"
    echo "# 5 M + 2000 (random); cache_calls are the mcentral calls"
    for b in as-is no-free-checks lifo-last-free; do
        for pat in single batch random; do
            echo "$b $pat $(SPANLAB_STATS=1 LD_PRELOAD=${lib[$b]} build/harness/slmicro libc 1 $pat 2>&1 |
                grep -o 'cache_calls=[0-9]*\|uncache_calls=[0-9]*\|refills=[0-9]*' | paste -sd' ')"
        done
    done
} | tee "$here/counters.txt"; fi
if want larson; then build/harness/slbench --workload larson --threads 1,2 --seconds 0.25 --repeat "$repeat" \
    --alloc "preload:as-is=${lib[as-is]},preload:no-free-checks=${lib[no-free-checks]},preload:lifo-last-free=${lib[lifo-last-free]},spanlab:mutex,tcmalloc,mimalloc,jemalloc" \
    --out "$here/larson.csv"; fi
