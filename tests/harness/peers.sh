#!/bin/sh
# Peer detection: `slbench --list` finds every peer whose Debian library is installed
# (tbbmalloc and scudo included), `peers` measures each one found with its preload taking
# effect (a cell is `ok` only if the library's malloc is the live one), a peer that is not
# installed is skipped with a note and in the `skipped` metadata, and a library that is not
# the peer it claims to be fails its cells. Usage: peers.sh path/to/slbench
set -u
SLBENCH=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
say() { echo "$*"; }
bad() { echo "FAIL: $*"; fail=1; }

"$SLBENCH" --list >"$TMP/list" || bad "--list exited $?"
for peer in jemalloc tcmalloc mimalloc tbbmalloc scudo; do
    grep -Eq "^  $peer +(LD_PRELOAD=/|not installed)" "$TMP/list" || bad "--list has no line for $peer"
done
# Where Debian puts them, slbench must find them.
multi=/usr/lib/$(uname -m)-linux-gnu
for pair in "jemalloc $multi/libjemalloc.so.2" "tcmalloc $multi/libtcmalloc_minimal.so.4" \
    "mimalloc $multi/libmimalloc.so.2" "tbbmalloc $multi/libtbbmalloc_proxy.so.2" \
    "scudo $(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.scudo_standalone-$(uname -m).so 2>/dev/null | tail -1)"; do
    set -- $pair
    if [ -n "${2:-}" ] && [ -r "$2" ]; then
        grep -q "^  $1 *LD_PRELOAD=$2\$" "$TMP/list" || bad "$1 is installed at $2 but --list says: $(grep "^  $1 " "$TMP/list")"
    fi
done

# Every peer found runs, and its preload took (otherwise the cell is an error row).
found=$(sed -n 's/^  \([a-z]*\) *LD_PRELOAD=.*/\1/p' "$TMP/list" | tr '\n' ' ')
say "peers found: $found"
"$SLBENCH" --alloc peers --workload threadtest --threads 1 --seconds 0.05 --repeat 1 \
    --quiet --out "$TMP/p.csv" 2>"$TMP/err" || bad "peers sweep exited $?"
for peer in glibc $found; do
    st=$(awk -F, -v p="$peer" '$1 == p { print $15 }' "$TMP/p.csv")
    [ "$st" = ok ] || bad "peer $peer: status '$st' (want ok)"
done

# The metadata identifies each peer's library by file, size and digest; tbbmalloc's also
# the allocator library its proxy loads.
for peer in $found; do
    grep -q "^# libraries: .*$peer=/[^ ]* size=[0-9]* sha256=[0-9a-f]\{64\}" "$TMP/p.csv" ||
        bad "libraries metadata does not identify $peer"
done
if echo "$found" | grep -qw tbbmalloc; then
    grep -q "tbbmalloc=/[^ ]*/libtbbmalloc\.so[.0-9]* size=" "$TMP/p.csv" ||
        bad "libraries metadata lacks the allocator library tbbmalloc's proxy loads"
fi

# Not installed: skipped with one note, recorded, no rows.
SLBENCH_LIB_TBBMALLOC=/nonexistent/libtbbmalloc_proxy.so.2 "$SLBENCH" --alloc tbbmalloc,glibc \
    --workload threadtest --threads 1 --seconds 0.05 --repeat 1 --out "$TMP/s.csv" 2>"$TMP/err" ||
    bad "skip sweep exited $?"
grep -q "skipping tbbmalloc" "$TMP/err" || bad "no note for a missing tbbmalloc"
grep -q "^# skipped: .*tbbmalloc" "$TMP/s.csv" || bad "skipped metadata lacks tbbmalloc"
! grep -q "^tbbmalloc," "$TMP/s.csv" || bad "rows for a skipped peer"

# A library that is not the peer it is named as: its malloc may be live, but the peer's own
# symbol is not, so the cell fails instead of measuring the wrong allocator.
if echo "$found" | grep -qw jemalloc && echo "$found" | grep -qw scudo; then
    je=$(sed -n 's/^  jemalloc *LD_PRELOAD=//p' "$TMP/list")
    SLBENCH_LIB_SCUDO=$je "$SLBENCH" --alloc scudo --workload threadtest --threads 1 \
        --seconds 0.05 --repeat 1 --quiet --out "$TMP/w.csv" 2>/dev/null
    grep -q "^scudo,.*error:$je is not scudo (it does not define __scudo_print_stats)" "$TMP/w.csv" ||
        bad "scudo named jemalloc's library was not refused: $(grep '^scudo,' "$TMP/w.csv")"
else
    say "note: jemalloc or scudo not installed; the wrong-library check did not run"
fi
[ $fail = 0 ] && say "peers ok"
exit $fail
