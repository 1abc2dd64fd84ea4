#!/bin/sh
# --alloc preload:NAME=PATH: a library that replaces malloc is measured under NAME and
# identified in the metadata by path, size and SHA-256; every way it can fail to be the
# malloc is a failed cell with its reason, never a glibc run under its name: a missing file,
# a file that is not a shared library, one the dynamic loader refuses (truncated; missing
# dependency), one that loads but does not replace malloc.
# Usage: preload.sh SLBENCH PRELOAD_LIB NOMALLOC_LIB CC
set -u
SLBENCH=$1 GOOD=$2 NOMALLOC=$3 CC=$4
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
run() { # run OUT ALLOC...: one short sweep
    out=$1
    shift
    "$SLBENCH" --alloc "$@" --workload threadtest --threads 1 --seconds 0.05 --repeat 1 \
        --quiet --out "$out" 2>"$out.err"
}
status() { awk -F, -v a="$2" '$1 == a { print $15 }' "$1"; }

# Works: rows under NAME, metadata with the resolved path, its size and its digest.
run "$TMP/good.csv" "preload:mine=$GOOD" || bad "good preload sweep exited $?"
[ "$(status "$TMP/good.csv" mine)" = ok ] || bad "good preload: status '$(status "$TMP/good.csv" mine)'"
real=$(readlink -f "$GOOD")
size=$(stat -c %s "$real")
sum=$(sha256sum "$real" | cut -d' ' -f1)
grep -q "^# libraries: mine=$real size=$size sha256=$sum\$" "$TMP/good.csv" ||
    bad "metadata does not identify the library: $(grep '^# libraries' "$TMP/good.csv") (want $real $size $sum)"
grep -q "^# allocators: preload:mine=$real\$" "$TMP/good.csv" || bad "allocators metadata: $(grep '^# allocators' "$TMP/good.csv")"

# The failure cases: each cell an error row with the reason; the sweep itself completes
# and exits 3 (some cell failed).
printf 'not a library\n' >"$TMP/text.so"
head -c 300 "$real" >"$TMP/truncated.so"
printf 'int sl_dep(void);\nint sl_dep(void) { return 1; }\n' >"$TMP/dep.c"
printf 'int sl_dep(void);\nint sl_uses_dep(void);\nint sl_uses_dep(void) { return sl_dep(); }\n' >"$TMP/needs.c"
"$CC" -shared -fPIC -o "$TMP/libsl_dep.so" "$TMP/dep.c" &&
    "$CC" -shared -fPIC -o "$TMP/needs.so" "$TMP/needs.c" -L"$TMP" -lsl_dep &&
    rm "$TMP/libsl_dep.so" || bad "could not build the library with a missing dependency"
check() { # check NAME PATH REASON
    run "$TMP/$1.csv" "preload:$1=$2,glibc"
    rc=$?
    [ $rc = 3 ] || bad "$1: sweep exited $rc, want 3 (cells failed, the sweep ran on)"
    grep -q "^glibc," "$TMP/$1.csv" || bad "$1: no glibc row (a failed cell must not stop the sweep)"
    st=$(status "$TMP/$1.csv" "$1")
    case "$st" in
    error:*"$3"*) ;;
    *) bad "$1: status '$st', want an error saying '$3'" ;;
    esac
    [ "$(status "$TMP/$1.csv" glibc)" = ok ] || bad "$1: the glibc cell after it did not run"
    grep -q "^$1,.*,ok," "$TMP/$1.csv" && bad "$1: an ok row under its name"
    [ -z "$(awk -F, -v a="$1" '$1 == a { print $8 }' "$TMP/$1.csv")" ] || bad "$1: a number in a failed row"
}
check missing "$TMP/nonexistent.so" "No such file"
check text "$TMP/text.so" "not an ELF file"
check truncated "$TMP/truncated.so" "did not load"
check needsdep "$TMP/needs.so" "did not load"
check nomalloc "$NOMALLOC" "does not replace malloc"
grep -q "preload:missing cannot run" "$TMP/missing.csv.err" || bad "no message for the missing file"

[ $fail = 0 ] && echo "preload ok"
exit $fail
