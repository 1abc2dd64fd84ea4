#!/bin/sh
# slbench option parsing: every bad input exits 2 with a message and runs nothing;
# --list works. Usage: cli.sh path/to/slbench
set -u
SLBENCH=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

expect() { # expect CODE PATTERN ARGS...
    code=$1 pattern=$2
    shift 2
    "$SLBENCH" --out "$TMP/x.csv" "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" != "$code" ] || ! grep -qi -- "$pattern" "$TMP/err" "$TMP/out"; then
        echo "FAIL: slbench $* -> exit $got (want $code, message /$pattern/)"
        sed 's/^/    /' "$TMP/err"
        fail=1
    fi
    if [ "$code" = 2 ] && [ -e "$TMP/x.csv" -o -e "$TMP/x.csv.partial" ]; then
        echo "FAIL: slbench $* wrote a CSV before rejecting its options"
        fail=1
    fi
}

expect 0 "threadtest" --list
expect 0 "spanlab:" --list
expect 2 "unknown option" --bogus
expect 2 "unexpected argument" stray
expect 2 "unknown workload" --workload nosuch
expect 2 "unknown workload" --workload threadtest,nosuch
expect 2 "unknown spanlab variant" --alloc spanlab:nosuch
expect 2 "unknown spanlab variant" --alloc spanlab:nosuch/eager
expect 2 "unknown span-return policy" --alloc spanlab:mutex/nosuch
expect 2 "unknown span-return policy" --alloc spanlab:all/nosuch
expect 0 "home" --list
expect 2 "unknown allocator" --alloc hoard
expect 2 "thread" --threads 0
expect 2 "thread" --threads 4-2
expect 2 "thread" --threads 1,x
expect 2 "thread" --threads 100000
expect 2 "seconds" --seconds 0
expect 2 "seconds" --seconds -1
expect 2 "seconds" --seconds abc
expect 2 "repeat" --repeat 0
expect 2 "or auto" --repeat sometimes
expect 2 "go with --repeat auto" --max-repeat 8
expect 2 "max-repeat must be 2" --repeat auto --max-repeat 1
expect 2 "is above --max-repeat" --repeat auto --min-repeat 9 --max-repeat 6
expect 2 "target-ci" --target-ci 0
expect 2 "target-ci" --target-ci 5x
expect 2 "needs a value" --seconds
expect 2 "no selected workload" --workload larson --param nosuch=1
expect 2 "no selected workload" --workload larson --param batch=10
expect 2 "must be" --workload threadtest --param batch=0
expect 2 "not an integer" --workload threadtest --param batch=ten
expect 2 "KEY=VALUE" --param batch
expect 2 "unknown workload" --param nosuch.batch=3
expect 2 "sample" --param sample=-1
expect 2 "takes no value" --pin=yes
expect 2 "preload:NAME=PATH" --alloc preload:x
expect 2 "preload:NAME=PATH" --alloc preload:=/lib/libc.so.6
expect 2 "preload:NAME=PATH" --alloc preload:x=
expect 2 "must be 1" --alloc 'preload:a/b=/lib/libc.so.6'
expect 2 "built-in" --alloc preload:jemalloc=/lib/libc.so.6
expect 2 "built-in" --alloc preload:glibc=/lib/libc.so.6
expect 2 "spaces or colons" --alloc 'preload:x=/tmp/a b.so'
expect 2 "spaces or colons" --alloc 'preload:x=/tmp/a:b.so'
expect 2 "names two libraries" --alloc preload:x=/tmp/a.so,preload:x=/tmp/b.so
exit $fail
