#!/usr/bin/env bash
# Real programs under libspanlab-preload.so: runs one job once without the library and once
# under every registered variant and policy, compares the outputs, and prints one line per run with its
# wall time. Any missing tool, difference, crash or hang fails the test; nothing is skipped.
#
#   run-programs.sh JOB PRELOAD_LIB BIN_DIR
#   JOB: deps check python oom sort gcc git perl sqlite cxx forks
#   BIN_DIR holds preload_variants, preload_check, preload_forks and preload_threads.
set -u
export LC_ALL=C

job=${1:?job}
lib=${2:?preload library}
bindir=${3:?binary directory}
progs=$(cd "$(dirname "$0")/programs" && pwd)
# Seconds one program run may take before it counts as hung (about 20x its usual time).
limit=${SL_PRELOAD_TIMEOUT:-90}
[ "$job" = forks ] && limit=${SL_PRELOAD_TIMEOUT:-30}

fail=0
failed() {
    echo "preload: FAIL: $*"
    fail=1
}

# --- tools ----------------------------------------------------------------------------

# tool -> Debian package. python3 must be Debian's (/usr/bin/python3), not a pyenv shim.
declare -A pkg_of=([/usr/bin/python3]=python3 [sort]=coreutils [gcc]=gcc [g++]=g++
    [git]=git [perl]=perl [sqlite3]=sqlite3 [timeout]=coreutils [sha256sum]=coreutils)

missing_tools() {
    local t
    for t in "${!pkg_of[@]}"; do
        command -v "$t" >/dev/null 2>&1 || echo "$t"
    done
}

install_tools() {
    local missing pkgs sudo=
    missing=$(missing_tools)
    [ -z "$missing" ] && return 0
    pkgs=$(for t in $missing; do echo "${pkg_of[$t]}"; done | sort -u | tr '\n' ' ')
    echo "preload: installing $pkgs(missing: $(echo $missing))"
    [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q --no-install-recommends $pkgs ||
        { $sudo apt-get update -q && $sudo apt-get install -y -q --no-install-recommends $pkgs; }
    missing=$(missing_tools)
    if [ -n "$missing" ]; then
        echo "preload: FAIL: cannot install $(echo $missing) (Debian packages: $pkgs);" \
            "install them (apt-get install $pkgs) and rerun"
        return 1
    fi
}

need() { # the tools this job runs; a missing one fails the test with its package name
    local t ok=0
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1; then
            failed "$t is missing (Debian package ${pkg_of[$t]:-?}); the preload.deps test installs it"
            ok=1
        fi
    done
    return $ok
}

if [ "$job" = deps ]; then
    install_tools
    exit $?
fi

[ -f "$lib" ] || { echo "preload: FAIL: $lib not built"; exit 1; }
mapfile -t variants < <("$bindir/preload_variants")
[ ${#variants[@]} -gt 0 ] || { echo "preload: FAIL: no registered variants"; exit 1; }

# tmpfs when there is one: the jobs time the allocator, not the disk.
scratch=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && scratch=/dev/shm
tmp=$(mktemp -d "$scratch/spanlab-preload-$job.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- the jobs: each runs in an empty directory and writes what it compares to stdout ----

job_python() {
    PYTHONHASHSEED=0 PYTHONMALLOC=malloc timeout -k 5 "$limit" /usr/bin/python3 -I "$progs/job.py"
}

# Python allocating until MemoryError under an address-space limit, then going on
# (programs/oom.py). PYTHONMALLOC=malloc sends small objects to malloc too; -I would ignore
# it, so the isolation comes from -s -S instead.
job_oom() {
    (ulimit -v "${SL_OOM_LIMIT_KIB:-250000}" &&
        PYTHONHASHSEED=0 PYTHONMALLOC=malloc timeout -k 5 "$limit" /usr/bin/python3 -s -S "$progs/oom.py")
}

job_sort() {
    timeout -k 5 "$limit" sort --parallel=2 "$tmp/sort-input" >sorted || return
    sha256sum <sorted && wc -l <sorted && head -c 200 sorted && rm -f sorted
}

job_gcc() {
    timeout -k 5 "$limit" gcc -O2 -Wall -S "$progs/compile-me.c" -o prog.s || return
    timeout -k 5 "$limit" gcc -O2 -Wall "$progs/compile-me.c" -o prog || return
    sha256sum <prog.s && ./prog
}

job_git() (
    export HOME=$PWD GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=spanlab GIT_COMMITTER_NAME=spanlab \
        GIT_AUTHOR_EMAIL=spanlab@example.org GIT_COMMITTER_EMAIL=spanlab@example.org \
        GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
    local i
    mkdir repo && cd repo || return
    timeout -k 5 "$limit" awk 'BEGIN { for (i = 1; i <= 400; i++) { f = "f" i ".txt"
        print "file " i > f; for (j = 1; j <= i % 50 + 1; j++) print "line " j " of " i > f
        close(f) } }' || return
    timeout -k 5 "$limit" git init -q -b main . &&
        timeout -k 5 "$limit" git add . &&
        timeout -k 5 "$limit" git commit -q -m "first" || return
    for ((i = 7; i <= 400; i += 7)); do echo "changed" >>"f$i.txt"; done
    timeout -k 5 "$limit" git commit -q -a -m "second" &&
        timeout -k 5 "$limit" git log --stat --format='%H %an %s' | tail -n 5 &&
        timeout -k 5 "$limit" git log --format='%H %T %s' &&
        timeout -k 5 "$limit" git gc -q &&
        timeout -k 5 "$limit" git fsck --no-progress &&
        timeout -k 5 "$limit" git count-objects -v | grep -E '^(count|in-pack|packs)'
)

job_perl() {
    timeout -k 5 "$limit" perl "$progs/words.pl"
}

job_sqlite() {
    timeout -k 5 "$limit" sqlite3 rows.db <"$progs/rows.sql"
}

job_cxx() {
    timeout -k 5 "$limit" "$bindir/preload_threads"
}

job_forks() {
    timeout -k 5 "$limit" "$bindir/preload_forks"
}

job_check() {
    timeout -k 5 "$limit" "$bindir/preload_check" api &&
        timeout -k 5 "$limit" "$bindir/preload_check" threads "${SL_PRELOAD_THREADS:-4000}"
}

declare -A tools=([python]=/usr/bin/python3 [oom]=/usr/bin/python3 [sort]="sort perl" [gcc]=gcc [git]=git
    [perl]=perl [sqlite]=sqlite3 [cxx]= [forks]= [check]=)
[ -n "${tools[$job]+x}" ] || { echo "preload: FAIL: unknown job $job"; exit 2; }
need timeout sha256sum ${tools[$job]} || exit 1

if [ "$job" = sort ]; then # about 50 MB of random lines, made once for all runs
    perl -e '$s = 42; for (1 .. 1_500_000) { $s = ($s * 1103515245 + 12345) % 2147483648;
             printf "%010d %08x line %d %s\n", ($s * 7) % 1000000007, $s, $_, "x" x ($s % 9) }' \
        >"$tmp/sort-input"
    echo "preload: sort input $(wc -c <"$tmp/sort-input") bytes"
fi

# run LABEL [ENV=VALUE...]: the job in a fresh directory; sets rc and secs, output in
# $tmp/LABEL.out and $tmp/LABEL.err.
run() {
    local label=$1 t0 t1
    shift
    rm -rf "$tmp/work" && mkdir "$tmp/work"
    t0=$EPOCHREALTIME
    (cd "$tmp/work" && export "$@" && "job_$job") >"$tmp/$label.out" 2>"$tmp/$label.err"
    rc=$?
    t1=$EPOCHREALTIME
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

case $job in # a first, untimed run fills the page cache, so that the timings compare fairly
python | gcc | git | perl | sqlite) run warmup PRELOAD_NONE=1 ;;
esac
run baseline PRELOAD_NONE=1
base_rc=$rc base_secs=$secs
[ "$job" = check ] && sed -n 's/^threads: /preload: check   without thread churn: /p' "$tmp/baseline.err"
if [ $base_rc -ne 0 ]; then
    failed "$job fails without the library (exit $base_rc):"
    tail -n 20 "$tmp/baseline.err"
fi

for v in "${variants[@]}"; do # variant/policy pairs
    f=${v//\//_}
    run "$f" LD_PRELOAD="$lib" SPANLAB_CENTRAL="$v"
    verdict=ok
    if [ $rc -ne $base_rc ]; then
        verdict="FAIL (exit $rc, without the library $base_rc)"
    elif ! cmp -s "$tmp/baseline.out" "$tmp/$f.out"; then
        verdict="FAIL (output differs)"
    elif grep -q spanlab "$tmp/$f.err"; then
        verdict="FAIL (allocator message)"
    fi
    printf 'preload: %-7s %-15s without %7ss  with %7ss  %s\n' "$job" "$v" "$base_secs" "$secs" "$verdict"
    [ "$job" = check ] && sed -n 's|^threads: |preload: check   '"$v"' thread churn: |p' "$tmp/$f.err"
    [ "$job" = check ] && sed -n 's|^leaks: |preload: check   '"$v"' leak check: |p' "$tmp/$f.err"
    if [ "$verdict" != ok ]; then
        fail=1
        diff "$tmp/baseline.out" "$tmp/$f.out" | head -n 20
        tail -n 20 "$tmp/$f.err"
    fi
done

# --- check: what only the library must do (no run without it to compare with) ----------
if [ "$job" = check ]; then
    # Bad and double frees: SIGABRT, one line on stderr naming the pointer, no survival.
    for v in "${variants[@]}"; do
        for mode in double-small double-large interior interior-large static stack; do
            { # the outer 2> keeps bash's own "Aborted" notice out of the log
                LD_PRELOAD="$lib" SPANLAB_CENTRAL="$v" timeout -k 5 60 "$bindir/preload_check" \
                    "$mode" >"$tmp/bad.out" 2>"$tmp/bad.err"
            } 2>/dev/null
            rc=$?
            ptr=$(head -n 1 "$tmp/bad.out" | sed 's/^0x//')
            if [ $rc -ne 134 ] || grep -q survived "$tmp/bad.out"; then
                failed "$v: bad free ($mode) of 0x$ptr: exit $rc, expected SIGABRT (134): $(head -c 300 "$tmp/bad.err")"
            elif [ "$(grep -c . "$tmp/bad.err")" -ne 1 ] || ! grep -qi "spanlab.*$ptr" "$tmp/bad.err"; then
                failed "$v: bad free ($mode) of 0x$ptr: want one 'spanlab: ...' line naming it, got: $(head -c 300 "$tmp/bad.err")"
            fi
        done
        echo "preload: check   $v bad and double frees abort"
        # SPANLAB_STATS=1: a short summary at exit, naming the variant and policy; silent
        # otherwise.
        LD_PRELOAD="$lib" SPANLAB_CENTRAL="$v" SPANLAB_STATS=1 /bin/echo hi >/dev/null 2>"$tmp/stats.err"
        if ! grep -q "variant=${v%/*} policy=${v#*/}" "$tmp/stats.err" ||
            [ "$(wc -l <"$tmp/stats.err")" -gt 4 ]; then
            failed "$v: SPANLAB_STATS=1 summary: $(cat "$tmp/stats.err")"
        fi
        LD_PRELOAD="$lib" SPANLAB_CENTRAL="$v" /bin/echo hi >/dev/null 2>"$tmp/quiet.err"
        [ -s "$tmp/quiet.err" ] && failed "$v: stderr without SPANLAB_STATS: $(cat "$tmp/quiet.err")"
    done
    echo "preload: check   SPANLAB_STATS=1: $(head -n 2 "$tmp/stats.err" | tr '\n' '|')"
    # An unknown variant lists the known ones and aborts at start-up.
    { LD_PRELOAD="$lib" SPANLAB_CENTRAL=no_such_variant /bin/true 2>"$tmp/unknown.err"; } 2>/dev/null
    rc=$?
    [ $rc -eq 134 ] || failed "SPANLAB_CENTRAL=no_such_variant: exit $rc, expected SIGABRT (134)"
    for v in "${variants[@]}"; do
        grep -qw "${v%/*}" "$tmp/unknown.err" || failed "unknown-variant message does not list ${v%/*}: $(cat "$tmp/unknown.err")"
    done
    echo "preload: check   unknown variant: $(head -n 1 "$tmp/unknown.err")"
    # So does an unknown span-return policy.
    { LD_PRELOAD="$lib" SPANLAB_POLICY=no_such_policy /bin/true 2>"$tmp/unknownp.err"; } 2>/dev/null
    rc=$?
    [ $rc -eq 134 ] || failed "SPANLAB_POLICY=no_such_policy: exit $rc, expected SIGABRT (134)"
    grep -qw eager "$tmp/unknownp.err" || failed "unknown-policy message does not list eager: $(cat "$tmp/unknownp.err")"
    echo "preload: check   unknown policy: $(head -n 1 "$tmp/unknownp.err")"
fi

[ $fail -eq 0 ] && echo "preload: $job passed under ${variants[*]}"
exit $fail
