/* slbench option parsing and validation (options.h). Everything the sweep will need is
 * checked here, so a bad name or value stops the program before the first cell runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "central.h"
#include "options.h"
#include "policy.h"

static int opts_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int opts_fail(const char *fmt, ...) {
    va_list ap;
    fputs("slbench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see slbench --list; usage in harness/README.md)\n", stderr);
    return 2;
}

/* Integer with an optional binary suffix k/K, m/M, g/G. */
static int opts_long(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || errno)
        return -1;
    long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1L << 10;
    else if (*end == 'm' || *end == 'M')
        mul = 1L << 20;
    else if (*end == 'g' || *end == 'G')
        mul = 1L << 30;
    if (mul != 1)
        end++;
    if (*end)
        return -1;
    if (v > 0 && v > __LONG_MAX__ / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static int opts_add_alloc(sl_bench_opts_t *o, sl_bench_alloc_kind_t kind, const char *allocator,
                          const char *variant, const char *policy, const char *lib) {
    char name[80];
    if (kind == SL_BENCH_ALLOC_PRELOAD)
        snprintf(name, sizeof name, "preload:%s", allocator);
    else if (*variant)
        snprintf(name, sizeof name, "%s:%s/%s", allocator, variant, policy);
    else
        snprintf(name, sizeof name, "%s", allocator);
    for (unsigned i = 0; i < o->nallocs; i++)
        if (strcmp(o->allocs[i].name, name) == 0)
            return 0;
    if (o->nallocs == SL_BENCH_MAX_ALLOCS)
        return opts_fail("too many allocators");
    sl_bench_alloc_t *a = &o->allocs[o->nallocs++];
    snprintf(a->name, sizeof a->name, "%s", name);
    snprintf(a->allocator, sizeof a->allocator, "%s", allocator);
    snprintf(a->variant, sizeof a->variant, "%s", variant);
    snprintf(a->policy, sizeof a->policy, "%s", policy);
    a->kind = kind;
    a->lib = lib;
    return 0;
}

static void opts_note_missing(sl_bench_opts_t *o, const char *peer) {
    for (unsigned i = 0; i < o->nnotes; i++)
        if (strstr(o->notes[i], peer))
            return;
    if (o->nnotes < sizeof o->notes / sizeof o->notes[0])
        snprintf(o->notes[o->nnotes++], sizeof o->notes[0],
                 "slbench: skipping %s: its library is not installed (scripts/deps installs it)",
                 peer);
}

/* preload:NAME=PATH. NAME becomes the CSV `allocator`, so it may not be one slbench already
 * means something by; PATH must survive LD_PRELOAD, which splits on spaces and colons.
 * Those are option errors. A file that cannot be the malloc is not: every cell of it is
 * recorded as failed, with the reason, and the sweep says so up front. */
static int opts_preload(sl_bench_opts_t *o, const char *spec) {
    static const char *const reserved[] = {"spanlab", "glibc", "peers", "preload", "all"};
    const char *eq = strchr(spec, '=');
    size_t len = eq ? (size_t)(eq - spec) : 0;
    if (!eq || !len || !eq[1])
        return opts_fail("--alloc preload: wants preload:NAME=PATH, got 'preload:%s'", spec);
    char name[32];
    if (len >= sizeof name ||
        spec[strspn(spec, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789._+-")] != '=')
        return opts_fail("preload NAME '%.*s' must be 1 .. %zu of A-Z a-z 0-9 . _ + -", (int)len,
                         spec, sizeof name - 1);
    snprintf(name, sizeof name, "%.*s", (int)len, spec);
    int taken = sl_bench_peer_symbol(name) != NULL;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        taken |= strcmp(name, reserved[i]) == 0;
    if (taken)
        return opts_fail("preload NAME '%s' is a built-in allocator's; choose another", name);
    const char *path = eq + 1;
    if (strpbrk(path, " :\t\n") || strlen(path) >= sizeof o->allocs[0].path)
        return opts_fail("preload:%s: the path may not hold spaces or colons (LD_PRELOAD "
                         "splits on them), got '%s'",
                         name, path);
    char abs[sizeof o->allocs[0].path];
    if (!realpath(path, abs))
        snprintf(abs, sizeof abs, "%s", path); /* missing: reported below, cells fail */
    for (unsigned i = 0; i < o->nallocs; i++)
        if (o->allocs[i].kind == SL_BENCH_ALLOC_PRELOAD &&
            strcmp(o->allocs[i].allocator, name) == 0) {
            if (strcmp(o->allocs[i].path, abs) == 0)
                return 0;
            return opts_fail("preload NAME '%s' names two libraries (%s and %s)", name,
                             o->allocs[i].path, abs);
        }
    int rc = opts_add_alloc(o, SL_BENCH_ALLOC_PRELOAD, name, "", "", NULL);
    if (rc)
        return rc;
    sl_bench_alloc_t *a = &o->allocs[o->nallocs - 1];
    memcpy(a->path, abs, sizeof abs);
    a->lib = a->path;
    sl_bench_lib_check_file(a->path, a->error, sizeof a->error);
    return 0;
}

/* A peer that is not installed is skipped with one note, never an error. */
static int opts_peer(sl_bench_opts_t *o, const char *name) {
    const char *lib = sl_bench_peer_lib(name);
    if (!lib) {
        opts_note_missing(o, name);
        return 0;
    }
    return opts_add_alloc(o, SL_BENCH_ALLOC_PEER, name, "", "", lib);
}

/* "VARIANT[/POLICY]", either side may be `all`; no policy = the default policy. */
static int opts_spanlab(sl_bench_opts_t *o, const char *spec) {
    char variant[64], policy[64];
    const char *slash = strchr(spec, '/');
    size_t n = slash ? (size_t)(slash - spec) : strlen(spec);
    snprintf(variant, sizeof variant, "%.*s", (int)(n < sizeof variant ? n : sizeof variant - 1),
             spec);
    snprintf(policy, sizeof policy, "%s", slash ? slash + 1 : SL_POLICY_DEFAULT);
    bool all_v = strcmp(variant, "all") == 0, all_p = strcmp(policy, "all") == 0;
    if (!all_v && !sl_variant_find(variant)) {
        fprintf(stderr, "slbench: unknown spanlab variant '%s'; known:", variant);
        for (const sl_central_ops_t *const *v = sl_variant_list(); *v; v++)
            fprintf(stderr, " %s", (*v)->name);
        fputc('\n', stderr);
        return 2;
    }
    if (!all_p && !sl_policy_find(policy)) {
        fprintf(stderr, "slbench: unknown span-return policy '%s'; known:", policy);
        for (const sl_policy_t *const *p = sl_policy_list(); *p; p++)
            fprintf(stderr, " %s", (*p)->name);
        fputc('\n', stderr);
        return 2;
    }
    int rc = 0;
    for (const sl_central_ops_t *const *v = sl_variant_list(); *v && !rc; v++)
        for (const sl_policy_t *const *p = sl_policy_list(); *p && !rc; p++)
            if ((all_v || strcmp((*v)->name, variant) == 0) &&
                (all_p || strcmp((*p)->name, policy) == 0))
                rc = opts_add_alloc(o, SL_BENCH_ALLOC_SPANLAB, "spanlab", (*v)->name, (*p)->name,
                                    NULL);
    return rc;
}

static int opts_allocs(sl_bench_opts_t *o, const char *list) {
    char buf[16384];
    if (strlen(list) >= sizeof buf)
        return opts_fail("--alloc list too long");
    snprintf(buf, sizeof buf, "%s", list);
    o->nallocs = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int rc = 0;
        if (strcmp(tok, "spanlab") == 0 || strncmp(tok, "spanlab:", 8) == 0) {
            rc = opts_spanlab(o, tok[7] ? tok + 8 : "all");
        } else if (strcmp(tok, "glibc") == 0) {
            rc = opts_add_alloc(o, SL_BENCH_ALLOC_GLIBC, "glibc", "", "", NULL);
        } else if (strcmp(tok, "peers") == 0) {
            rc = opts_add_alloc(o, SL_BENCH_ALLOC_GLIBC, "glibc", "", "", NULL);
            for (const char *const *p = sl_bench_peer_names(); *p && !rc; p++)
                rc = opts_peer(o, *p);
        } else if (sl_bench_peer_symbol(tok)) {
            rc = opts_peer(o, tok);
        } else if (strncmp(tok, "preload:", 8) == 0) {
            rc = opts_preload(o, tok + 8);
        } else {
            return opts_fail("unknown allocator '%s' (spanlab:<variant>[/<policy>], spanlab:all, "
                             "glibc, jemalloc, tcmalloc, mimalloc, tbbmalloc, scudo, peers, "
                             "preload:NAME=PATH)",
                             tok);
        }
        if (rc)
            return rc;
    }
    if (!o->nallocs && !o->nnotes)
        return opts_fail("--alloc names no allocator");
    return 0;
}

static int opts_workloads(sl_bench_opts_t *o, const char *list) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    o->nwls = 0;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const sl_bench_workload_t *wl = sl_bench_workload_find(tok);
        if (strcmp(tok, "all") == 0) {
            for (const sl_bench_workload_t *const *w = sl_bench_workloads(); *w; w++)
                if (o->nwls < SL_BENCH_MAX_WLS)
                    o->wls[o->nwls++] = *w;
            continue;
        }
        if (!wl) {
            fprintf(stderr, "slbench: unknown workload '%s'; known:", tok);
            for (const sl_bench_workload_t *const *w = sl_bench_workloads(); *w; w++)
                fprintf(stderr, " %s", (*w)->name);
            fputc('\n', stderr);
            return 2;
        }
        int dup = 0;
        for (unsigned i = 0; i < o->nwls; i++)
            dup |= o->wls[i] == wl;
        if (!dup && o->nwls < SL_BENCH_MAX_WLS)
            o->wls[o->nwls++] = wl;
    }
    if (!o->nwls)
        return opts_fail("--workload names no workload");
    return 0;
}

static int opts_threads(sl_bench_opts_t *o, const char *list) {
    char buf[1024];
    unsigned char seen[SL_BENCH_MAX_THREADS + 1] = {0};
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(tok, '-');
        long lo, hi;
        if (dash) {
            *dash = 0;
            if (opts_long(tok, &lo) || opts_long(dash + 1, &hi))
                return opts_fail("bad thread range '%s-%s'", tok, dash + 1);
        } else if (opts_long(tok, &lo)) {
            return opts_fail("bad thread count '%s'", tok);
        } else {
            hi = lo;
        }
        if (lo < 1 || hi > SL_BENCH_MAX_THREADS || lo > hi)
            return opts_fail("thread counts must be 1..%d with low <= high, got '%s'",
                             SL_BENCH_MAX_THREADS, list);
        for (long t = lo; t <= hi; t++)
            seen[t] = 1;
    }
    o->nthreads = 0;
    for (unsigned t = 1; t <= SL_BENCH_MAX_THREADS; t++)
        if (seen[t])
            o->threads[o->nthreads++] = t;
    if (!o->nthreads)
        return opts_fail("--threads names no thread count");
    return 0;
}

static int opts_setting(sl_bench_opts_t *o, const char *kv) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return opts_fail("--param wants KEY=VALUE, got '%s'", kv);
    if (o->nsettings == SL_BENCH_MAX_SETTINGS)
        return opts_fail("too many --param");
    sl_bench_setting_t *s = &o->settings[o->nsettings];
    char key[64];
    if (eq - kv >= 32)
        return opts_fail("--param key too long in '%s'", kv);
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    char *dot = strchr(key, '.');
    if (dot) {
        *dot = 0;
        memcpy(s->workload, key, (size_t)(dot - key) + 1);
        memcpy(s->key, dot + 1, strlen(dot + 1) + 1);
    } else {
        s->workload[0] = 0;
        memcpy(s->key, key, strlen(key) + 1);
    }
    if (opts_long(eq + 1, &s->value))
        return opts_fail("--param %s: '%s' is not an integer", key, eq + 1);
    if (strcmp(s->key, "sample") == 0 && !s->workload[0]) {
        if (s->value < 0 || s->value > 1000000000)
            return opts_fail("--param sample must be 0 (off) .. 1e9");
        o->sample_every = s->value;
        return 0;
    }
    if (strcmp(s->key, "timeout") == 0 && !s->workload[0]) {
        if (s->value < 1 || s->value > 86400)
            return opts_fail("--param timeout must be 1 .. 86400 seconds");
        o->timeout_s = s->value;
        return 0;
    }
    o->nsettings++;
    return 0;
}

long sl_bench_opts_sample(const sl_bench_opts_t *o, const sl_bench_workload_t *wl) {
    if (o->sample_every >= 0)
        return o->sample_every;
    return wl->sample_default ? wl->sample_default : SL_BENCH_DEFAULT_SAMPLE;
}

int sl_bench_opts_params(const sl_bench_opts_t *o, const sl_bench_workload_t *wl, long *out) {
    unsigned n = 0;
    for (; wl->params[n].name; n++)
        out[n] = wl->params[n].def;
    for (unsigned i = 0; i < o->nsettings; i++) {
        const sl_bench_setting_t *s = &o->settings[i];
        if (s->workload[0] && strcmp(s->workload, wl->name) != 0)
            continue;
        int idx = sl_bench_workload_param_index(wl, s->key);
        if (idx < 0)
            continue;
        const sl_bench_param_t *p = &wl->params[idx];
        if (s->value < p->min || s->value > p->max)
            return opts_fail("--param %s=%ld: %s.%s must be %ld .. %ld", s->key, s->value, wl->name,
                             s->key, p->min, p->max);
        out[idx] = s->value;
    }
    return 0;
}

/* Every setting must name a key that some selected workload has, in range for each. */
static int opts_check_settings(sl_bench_opts_t *o) {
    long vals[SL_BENCH_MAX_PARAMS];
    for (unsigned i = 0; i < o->nsettings; i++) {
        const sl_bench_setting_t *s = &o->settings[i];
        int known = 0;
        if (s->workload[0] && !sl_bench_workload_find(s->workload))
            return opts_fail("--param %s.%s: unknown workload '%s'", s->workload, s->key,
                             s->workload);
        for (unsigned w = 0; w < o->nwls; w++) {
            if (s->workload[0] && strcmp(s->workload, o->wls[w]->name) != 0)
                continue;
            known |= sl_bench_workload_param_index(o->wls[w], s->key) >= 0;
        }
        if (!known)
            return opts_fail("--param %s%s%s: no selected workload has this parameter", s->workload,
                             s->workload[0] ? "." : "", s->key);
    }
    for (unsigned w = 0; w < o->nwls; w++)
        if (sl_bench_opts_params(o, o->wls[w], vals))
            return 2;
    return 0;
}

static void opts_default_out(sl_bench_opts_t *o) {
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(o->out, sizeof o->out, "results/%s/run.csv", stamp);
}

/* What the command line named, resolved once it is all read. */
struct opts_named {
    const char *alloc, *wl, *threads; /* NULL: the default */
    long max_repeat, min_repeat;      /* 0: not given */
};

/* The field an option without a value sets, or NULL if name is none. */
static int *opts_flag(sl_bench_opts_t *o, const char *name) {
    if (strcmp(name, "--list") == 0)
        return &o->list;
    if (strcmp(name, "--pin") == 0)
        return &o->pin;
    if (strcmp(name, "--quiet") == 0)
        return &o->quiet;
    if (strcmp(name, "--keep-going") == 0)
        return &o->keep_going;
    if (strcmp(name, "--cell") == 0)
        return &o->cell;
    return NULL;
}

static int opts_takes_value(const char *name) {
    static const char *const with_value[] = {
        "--alloc", "--workload",   "--threads",    "--seconds", "--repeat", "--target-ci",
        "--out",   "--max-repeat", "--min-repeat", "--param",   "--rep",    "--result-fd"};
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
        if (strcmp(name, with_value[k]) == 0)
            return 1;
    return 0;
}

/* One option with its value: 0, or 2 after the message. */
static int opts_value(sl_bench_opts_t *o, struct opts_named *named, const char *name,
                      const char *val) {
    long n;
    char *end;
    if (strcmp(name, "--alloc") == 0) {
        named->alloc = val;
    } else if (strcmp(name, "--workload") == 0) {
        named->wl = val;
    } else if (strcmp(name, "--threads") == 0) {
        named->threads = val;
    } else if (strcmp(name, "--seconds") == 0) {
        errno = 0;
        o->seconds = strtod(val, &end);
        if (end == val || *end || errno || !(o->seconds > 0.0) || o->seconds > 86400.0)
            return opts_fail("--seconds must be a number > 0 (and <= 86400), got '%s'", val);
    } else if (strcmp(name, "--repeat") == 0) {
        o->repeat_auto = strcmp(val, "auto") == 0;
        if (!o->repeat_auto && (opts_long(val, &n) || n < 1 || n > 10000))
            return opts_fail("--repeat must be 1 .. 10000 or auto, got '%s'", val);
        if (!o->repeat_auto)
            o->repeat = (unsigned)n;
    } else if (strcmp(name, "--max-repeat") == 0 || strcmp(name, "--min-repeat") == 0) {
        if (opts_long(val, &n) || n < 2 || n > 10000)
            return opts_fail("%s must be 2 .. 10000, got '%s'", name, val);
        if (strcmp(name, "--max-repeat") == 0)
            named->max_repeat = n;
        else
            named->min_repeat = n;
    } else if (strcmp(name, "--target-ci") == 0) {
        errno = 0;
        o->target_ci = strtod(val, &end) / 100.0;
        if (end == val || *end || errno || !(o->target_ci > 0.0) || o->target_ci > 10.0)
            return opts_fail("--target-ci must be a percentage > 0 and <= 1000, got '%s'", val);
    } else if (strcmp(name, "--out") == 0) {
        if (!*val || strlen(val) >= sizeof o->out - 16)
            return opts_fail("--out needs a file name");
        snprintf(o->out, sizeof o->out, "%s", val);
    } else if (strcmp(name, "--param") == 0) {
        return opts_setting(o, val);
    } else if (strcmp(name, "--rep") == 0) {
        if (opts_long(val, &n) || n < 0)
            return opts_fail("bad --rep");
        o->rep = (unsigned)n;
    } else if (strcmp(name, "--result-fd") == 0) {
        if (opts_long(val, &n) || n < 0 || n > 1024)
            return opts_fail("bad --result-fd");
        o->result_fd = (int)n;
    }
    return 0;
}

/* Reads argv into o and named: 0, or 2 after the message. */
static int opts_read(sl_bench_opts_t *o, struct opts_named *named, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        char name[64];
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) != 0)
            return opts_fail("unexpected argument '%s'", arg);
        if (eq && eq - arg < (long)sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
        }
        int *flag = opts_flag(o, name);
        if (flag) {
            if (val)
                return opts_fail("%s takes no value", name);
            *flag = 1;
            continue;
        }
        if (!opts_takes_value(name))
            return opts_fail("unknown option '%s'", arg);
        if (!val) {
            if (i + 1 >= argc)
                return opts_fail("%s needs a value", name);
            val = argv[++i];
        }
        if (opts_value(o, named, name, val))
            return 2;
    }
    return 0;
}

/* --repeat auto's bounds: 0, or 2 after the message. */
static int opts_repeat(sl_bench_opts_t *o, const struct opts_named *named) {
    if (o->repeat_auto) {
        /* Six values are the fewest whose range is a 95 % interval for the median. */
        o->min_repeat = named->min_repeat ? (unsigned)named->min_repeat : 6;
        o->repeat = named->max_repeat ? (unsigned)named->max_repeat : 20;
        if (o->min_repeat > o->repeat)
            return opts_fail("--min-repeat %u is above --max-repeat %u", o->min_repeat, o->repeat);
    } else if (named->max_repeat || named->min_repeat) {
        return opts_fail("--max-repeat and --min-repeat go with --repeat auto");
    }
    return 0;
}

int sl_bench_opts_parse(sl_bench_opts_t *o, int argc, char **argv) {
    struct opts_named named = {.alloc = "spanlab:all,peers"};
    memset(o, 0, sizeof *o);
    o->seconds = 1.0;
    o->repeat = 3;
    o->target_ci = 0.05;
    o->sample_every = -1;
    o->result_fd = -1;
    if (opts_read(o, &named, argc, argv))
        return 2;
    if (o->list)
        return 0;
    if (opts_repeat(o, &named) || opts_allocs(o, named.alloc))
        return 2;
    /* By default every workload of the registry (workloads.c). */
    if (opts_workloads(o, named.wl ? named.wl : "all"))
        return 2;
    if (named.threads) {
        if (opts_threads(o, named.threads))
            return 2;
    } else {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        char def[32];
        snprintf(def, sizeof def, "1-%ld", ncpu < 1 ? 1 : ncpu > 64 ? 64 : ncpu);
        if (opts_threads(o, def))
            return 2;
    }
    if (opts_check_settings(o))
        return 2;
    if (o->cell && (o->nallocs != 1 || o->nwls != 1 || o->nthreads != 1 || o->result_fd < 0))
        return opts_fail("--cell runs exactly one allocator, workload and thread count");
    if (!o->out[0])
        opts_default_out(o);
    return 0;
}
