/* The sweep (parent side): for each workload, thread count, repetition and allocator,
 * re-execute this binary as a one-cell child (with LD_PRELOAD for a peer), read its
 * `key=value` report from a pipe, enforce the timeout, and write one CSV row whatever
 * happened. Allocators are the innermost loop (round-robin within a workload and thread
 * count), so slow drift and bursts of machine noise are spread over every allocator. With
 * --repeat auto an allocator leaves the round once the 95 % interval of its median
 * throughput is within the target (stats.h), or at the cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "sha256.h"
#include "stats.h"
#include "sweep.h"
#include "sysinfo.h"

extern char **environ;

#define SWEEP_MAX_ARGS 96

struct sweep_result {
    char val[SL_BENCH_CSV_MAX_COLUMNS][1024]; /* by CSV column */
};

static volatile sig_atomic_t sweep_interrupted;

static void sweep_on_signal(int sig) {
    (void)sig;
    sweep_interrupted = 1;
}

/* The child's environment: ours without LD_PRELOAD, plus the peer's library if any. */
static char **sweep_env(const char *lib) {
    static char preload[4200];
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
            env[k++] = *e;
    if (lib) {
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", lib);
        env[k++] = preload;
    }
    env[k] = NULL;
    return env;
}

static void sweep_set(struct sweep_result *r, const char *key, const char *value) {
    int col = sl_bench_csv_column(key);
    if (col >= 0) { /* long values (an error naming a path) are cut to the field */
        size_t n = 0;
        for (; value[n] && n + 1 < sizeof r->val[col]; n++)
            r->val[col][n] = value[n];
        r->val[col][n] = 0;
    }
}

static const char *sweep_get(const struct sweep_result *r, const char *key) {
    int col = sl_bench_csv_column(key);
    return col >= 0 ? r->val[col] : "";
}

static void sweep_parse(struct sweep_result *r, char *buf, int *ended) {
    for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        if (strcmp(line, "end") == 0)
            *ended = 1;
        else
            sweep_set(r, line, eq + 1);
    }
}

static void sweep_status_from_wait(struct sweep_result *r, const sl_bench_alloc_t *a, int wstatus,
                                   int ended) {
    char why[sizeof a->path + 128];
    if (WIFSIGNALED(wstatus)) {
        const char *name = sigabbrev_np(WTERMSIG(wstatus));
        if (name)
            snprintf(why, sizeof why, "crash:SIG%s", name);
        else
            snprintf(why, sizeof why, "crash:signal %d", WTERMSIG(wstatus));
        sweep_set(r, "status", why);
    } else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
        if (!strncmp(sweep_get(r, "status"), "error:", 6))
            return; /* the child said why */
        if (WEXITSTATUS(wstatus) == 127 && !*sweep_get(r, "status") && a->lib)
            /* The dynamic loader gave up before main (e.g. a missing dependency). */
            snprintf(why, sizeof why,
                     "error:%s did not load (exit 127 before slbench "
                     "started: see the dynamic loader's message)",
                     a->lib);
        else
            snprintf(why, sizeof why, "exit:%d", WEXITSTATUS(wstatus));
        sweep_set(r, "status", why);
    } else if (!ended || strcmp(sweep_get(r, "status"), "ok") != 0) {
        sweep_set(r, "status", "error:incomplete report");
    }
}

/* A cell's time limit: --param timeout=S, or ten times the cell's length plus 30 s. */
static long sweep_limit_s(const sl_bench_opts_t *o) {
    return o->timeout_s ? o->timeout_s : (long)(o->seconds * 10) + 30;
}

/* The child's command line and the strings it points into. */
struct sweep_argv {
    char *argv[SWEEP_MAX_ARGS];
    char spec[sizeof((sl_bench_alloc_t *)0)->name + sizeof((sl_bench_alloc_t *)0)->path];
    char threads[16], seconds[32], rep[16], sample[48], settings[SL_BENCH_MAX_SETTINGS][128];
};

/* `SELF --cell --alloc SPEC --workload W --threads T ...`: the cell, its sampling interval,
 * and every --param setting that applies to the workload. */
static void sweep_child_argv(const sl_bench_opts_t *o, const char *self, const sl_bench_alloc_t *a,
                             const sl_bench_workload_t *wl, unsigned threads, unsigned rep,
                             struct sweep_argv *c) {
    int argc = 0;
    if (a->kind == SL_BENCH_ALLOC_PRELOAD)
        snprintf(c->spec, sizeof c->spec, "preload:%s=%s", a->allocator, a->path);
    else
        snprintf(c->spec, sizeof c->spec, "%s", a->name);
    snprintf(c->threads, sizeof c->threads, "%u", threads);
    snprintf(c->seconds, sizeof c->seconds, "%.9g", o->seconds);
    snprintf(c->rep, sizeof c->rep, "%u", rep);
    snprintf(c->sample, sizeof c->sample, "sample=%ld", sl_bench_opts_sample(o, wl));
    char *fixed[] = {(char *)self,     "--cell",    "--alloc",     c->spec,     "--workload",
                     (char *)wl->name, "--threads", c->threads,    "--seconds", c->seconds,
                     "--rep",          c->rep,      "--result-fd", "3",         "--param",
                     c->sample};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        c->argv[argc++] = fixed[i];
    if (o->pin)
        c->argv[argc++] = "--pin";
    for (unsigned i = 0; i < o->nsettings; i++) {
        const sl_bench_setting_t *s = &o->settings[i];
        if ((s->workload[0] && strcmp(s->workload, wl->name) != 0) ||
            sl_bench_workload_param_index(wl, s->key) < 0)
            continue;
        snprintf(c->settings[i], sizeof c->settings[i], "%s.%s=%ld", wl->name, s->key, s->value);
        c->argv[argc++] = "--param";
        c->argv[argc++] = c->settings[i];
    }
    c->argv[argc] = NULL;
}

/* Starts the child with its report pipe on fd 3 and lib preloaded; 0 and *pid, *fd (the
 * read end), or the status to record. */
static const char *sweep_spawn(const char *self, char **argv, const char *lib, pid_t *pid,
                               int *fd) {
    int fds[2];
    if (pipe(fds) != 0)
        return "error:pipe failed";
    char **env = sweep_env(lib);
    fflush(NULL);
    *pid = fork();
    if (*pid == 0) {
        close(fds[0]);
        if (fds[1] != 3) {
            dup2(fds[1], 3);
            close(fds[1]);
        } else {
            fcntl(3, F_SETFD, 0);
        }
        execve(self, argv, env);
        _exit(127);
    }
    free(env);
    close(fds[1]);
    if (*pid < 0) {
        close(fds[0]);
        return "error:fork failed";
    }
    *fd = fds[0];
    return NULL;
}

/* Reads the child's report from fd into buf (NUL-terminated) until the child exits; kills
 * it when it runs past limit_s or the sweep is interrupted. Closes fd. Returns whether it
 * was killed for its time. */
static int sweep_collect(pid_t pid, int fd, long limit_s, char *buf, size_t size, int *wstatus) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t len = 0;
    int open_fd = 1, timed_out = 0;
    *wstatus = 0;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= limit_s || sweep_interrupted) {
            kill(pid, SIGKILL);
            waitpid(pid, wstatus, 0);
            timed_out = !sweep_interrupted;
            break;
        }
        if (open_fd) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, 50) > 0) {
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n > 0)
                    len += (size_t)n;
                else if (n == 0 || errno != EINTR)
                    open_fd = 0;
            }
        } else {
            struct timespec nap = {0, 5000000};
            nanosleep(&nap, NULL);
        }
        if (waitpid(pid, wstatus, WNOHANG) == pid)
            break;
    }
    /* Whatever is still in the pipe. */
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (len + 1 >= size || poll(&pfd, 1, 0) <= 0)
            break;
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    return timed_out;
}

/* The cell's status from how it ended; a failed cell keeps only its status. */
static void sweep_outcome(struct sweep_result *r, const sl_bench_alloc_t *a, int timed_out,
                          int wstatus, int ended) {
    if (sweep_interrupted)
        sweep_set(r, "status", "interrupted");
    else if (timed_out)
        sweep_set(r, "status", "timeout");
    else
        sweep_status_from_wait(r, a, wstatus, ended);
    if (strcmp(sweep_get(r, "status"), "ok") != 0) {
        /* A failed cell carries no numbers that could be mistaken for a measurement. */
        for (int i = 0; sl_bench_csv_columns[i]; i++)
            if (strcmp(sl_bench_csv_columns[i], "status") != 0)
                r->val[i][0] = 0;
    }
}

/* Runs one cell; fills r. */
static void sweep_cell(const sl_bench_opts_t *o, const char *self, const sl_bench_alloc_t *a,
                       const sl_bench_workload_t *wl, unsigned threads, unsigned rep,
                       struct sweep_result *r) {
    static struct sweep_argv args;
    memset(r, 0, sizeof *r);
    if (a->error[0]) { /* found at parse time: no child could run it */
        char why[sizeof a->error + 8];
        snprintf(why, sizeof why, "error:%s", a->error);
        sweep_set(r, "status", why);
        return;
    }
    sweep_child_argv(o, self, a, wl, threads, rep, &args);
    double load_start = -1.0, load_end = -1.0;
    getloadavg(&load_start, 1);
    pid_t pid;
    int fd;
    const char *failed = sweep_spawn(self, args.argv, a->lib, &pid, &fd);
    if (failed) {
        sweep_set(r, "status", failed);
        return;
    }
    char buf[16384];
    int wstatus, ended = 0;
    int timed_out = sweep_collect(pid, fd, sweep_limit_s(o), buf, sizeof buf, &wstatus);
    getloadavg(&load_end, 1);
    sweep_parse(r, buf, &ended);
    sweep_outcome(r, a, timed_out, wstatus, ended);
    /* The machine's state is context, kept for failed cells too: it may explain them. */
    char load[32];
    snprintf(load, sizeof load, "%.2f", load_start);
    sweep_set(r, "load_start", load_start >= 0 ? load : "");
    snprintf(load, sizeof load, "%.2f", load_end);
    sweep_set(r, "load_end", load_end >= 0 ? load : "");
}

static void sweep_cmdline(int argc, char **argv, char *out, size_t n) {
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < argc && len < n; i++) {
        const char *a = argv[i];
        int plain = *a && !a[strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789-_=.,:/+@")];
        len += (size_t)snprintf(out + len, n - len, plain ? "%s%s" : "%s'%s'", i ? " " : "", a);
    }
}

/* Appends "ALLOCATOR=FILE size=N sha256=HEX" (or "... unreadable (why)") to buf. */
static size_t sweep_library(char *buf, size_t len, size_t n, const char *allocator,
                            const char *lib) {
    char real[4096], hex[65];
    long long size;
    if (len >= n)
        return len;
    if (!realpath(lib, real))
        snprintf(real, sizeof real, "%s", lib);
    int rc = sl_sha256_file(real, hex, &size);
    if (rc)
        return len + (size_t)snprintf(buf + len, n - len, "%s%s=%s unreadable (%s)",
                                      len ? "; " : "", allocator, real, strerror(-rc));
    return len + (size_t)snprintf(buf + len, n - len, "%s%s=%s size=%lld sha256=%s",
                                  len ? "; " : "", allocator, real, size, hex);
}

/* Every preloaded library, and the allocator library a peer's loads, so a run names exactly
 * the code it measured (a symlink like libjemalloc.so.2 is resolved to its file). */
static void sweep_libraries(const sl_bench_opts_t *o, char *buf, size_t n) {
    size_t len = 0;
    snprintf(buf, n, "none");
    for (unsigned i = 0; i < o->nallocs; i++) {
        const sl_bench_alloc_t *a = &o->allocs[i];
        if (!a->lib)
            continue;
        len = sweep_library(buf, len, n, a->allocator, a->lib);
        const char *loads =
            a->kind == SL_BENCH_ALLOC_PEER ? sl_bench_peer_loads(a->allocator) : NULL;
        const char *slash = strrchr(a->lib, '/');
        if (loads && slash) {
            char path[4096];
            snprintf(path, sizeof path, "%.*s/%s", (int)(slash - a->lib), a->lib, loads);
            len = sweep_library(buf, len, n, a->allocator, path);
        }
    }
}

static void sweep_metadata(sl_bench_csv_t *c, const sl_bench_opts_t *o, int argc, char **argv) {
    char buf[4096];
    size_t len;
    sweep_cmdline(argc, argv, buf, sizeof buf);
    sl_bench_csv_meta(c, "slbench",
                      "spanlab allocator benchmark, CSV schema 6 "
                      "(columns in results/README.md)");
    sl_bench_csv_meta(c, "command", buf);
    sl_sysinfo_git_revision(buf, sizeof buf);
    sl_bench_csv_meta(c, "git_revision", buf);
    sl_sysinfo_host(buf, sizeof buf);
    sl_bench_csv_meta(c, "host", buf);
    sl_sysinfo_cpu_model(buf, sizeof buf);
    sl_bench_csv_meta(c, "cpu_model", buf);
    snprintf(buf, sizeof buf, "%ld", sl_sysinfo_cores());
    sl_bench_csv_meta(c, "cores", buf);
#ifdef __VERSION__
    snprintf(buf, sizeof buf, "%s %s", SLBENCH_COMPILER_ID, __VERSION__);
#else
    snprintf(buf, sizeof buf, "%s", SLBENCH_COMPILER_ID);
#endif
    sl_bench_csv_meta(c, "compiler", buf);
    sl_sysinfo_date(buf, sizeof buf);
    sl_bench_csv_meta(c, "date", buf);
    sl_sysinfo_kernel(buf, sizeof buf);
    sl_bench_csv_meta(c, "kernel", buf);
    len = 0;
    for (unsigned w = 0; w < o->nwls; w++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=%ld", w ? " " : "",
                                o->wls[w]->name, sl_bench_opts_sample(o, o->wls[w]));
    sl_bench_csv_meta(c, "sampling_interval", buf);
    sl_clock_init(1);
    sl_bench_csv_meta(c, "latency_clock", sl_clock_describe());
    snprintf(buf, sizeof buf, "%.9g", o->seconds);
    sl_bench_csv_meta(c, "seconds_per_cell", buf);
    if (o->repeat_auto) {
        sl_bench_csv_meta(c, "repeat", "auto");
        snprintf(buf, sizeof buf, "%u", o->min_repeat);
        sl_bench_csv_meta(c, "min_repeat", buf);
        snprintf(buf, sizeof buf, "%u", o->repeat);
        sl_bench_csv_meta(c, "max_repeat", buf);
    } else {
        snprintf(buf, sizeof buf, "%u", o->repeat);
        sl_bench_csv_meta(c, "repeat", buf);
    }
    snprintf(buf, sizeof buf, "%.9g", 100.0 * o->target_ci);
    sl_bench_csv_meta(c, "target_ci_pct", buf);
    sl_bench_csv_meta(c, "interval",
                      "95 % confidence interval of the median throughput, distribution-free "
                      "(order statistics); needs 6 repetitions");
    snprintf(buf, sizeof buf, "%ld", sweep_limit_s(o));
    sl_bench_csv_meta(c, "timeout_s", buf);
    len = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < o->nallocs; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s%s%s", i ? " " : "",
                                o->allocs[i].name, o->allocs[i].lib ? "=" : "",
                                o->allocs[i].lib ? o->allocs[i].lib : "");
    sl_bench_csv_meta(c, "allocators", buf);
    sweep_libraries(o, buf, sizeof buf);
    sl_bench_csv_meta(c, "libraries", buf);
    len = 0;
    snprintf(buf, sizeof buf, "none");
    for (unsigned i = 0; i < o->nnotes; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "; " : "", o->notes[i]);
    sl_bench_csv_meta(c, "skipped", buf);
}

/* "size=64;batch=1000" for the CSV `params` column. */
static void sweep_params(const sl_bench_opts_t *o, const sl_bench_workload_t *wl, char *out,
                         size_t n) {
    long vals[SL_BENCH_MAX_PARAMS];
    size_t len = 0;
    out[0] = 0;
    if (sl_bench_opts_params(o, wl, vals))
        return;
    for (unsigned i = 0; wl->params[i].name && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s=%ld", i ? ";" : "", wl->params[i].name,
                                vals[i]);
}

static void sweep_progress(const sl_bench_opts_t *o, unsigned done, unsigned total,
                           const sl_bench_alloc_t *a, const sl_bench_workload_t *wl,
                           unsigned threads, unsigned rep, const struct sweep_result *r) {
    if (o->quiet)
        return;
    const char *status = sweep_get(r, "status"), *stop = sweep_get(r, "stop");
    char what[200], ci[64] = "";
    snprintf(what, sizeof what, "%s t=%u %s rep %u/%s%u", wl->name, threads, a->name, rep + 1,
             o->repeat_auto ? "<=" : "", o->repeat);
    if (*stop && *sweep_get(r, "ci_pct"))
        snprintf(ci, sizeof ci, "  median +-%s%% (%s)", sweep_get(r, "ci_pct"), stop);
    else if (*stop && strcmp(stop, "fixed") != 0)
        snprintf(ci, sizeof ci, "  (%s)", stop);
    int width = total >= 1000 ? 4 : total >= 100 ? 3 : 2;
    if (strcmp(status, "ok") == 0) {
        double rss = atof(sweep_get(r, "rss_peak_kib")) / 1024.0;
        fprintf(stderr,
                "slbench [%*u/%u] %-42s %9.4g Mops/s  p50 %s ns  p99 %s ns  rss %.1f MiB%s\n",
                width, done, total, what, atof(sweep_get(r, "mops_per_s")),
                *sweep_get(r, "lat_p50_ns") ? sweep_get(r, "lat_p50_ns") : "-",
                *sweep_get(r, "lat_p99_ns") ? sweep_get(r, "lat_p99_ns") : "-", rss, ci);
    } else {
        fprintf(stderr, "slbench [%*u/%u] %-42s FAILED %s%s\n", width, done, total, what, status,
                ci);
    }
}

/* One allocator's repetitions in the current (workload, threads) group. */
struct sweep_series {
    double *mops; /* throughput of each ok cell, o->repeat slots */
    unsigned ok, runs, failed;
    int stopped;
};

/* After s's latest cell (its row in r): records the interval so far (`ci_pct`, once the
 * repetitions give a full 95 % one) and, when this was s's last repetition, why (`stop`).
 * Returns whether s is done. */
static int sweep_series_update(const sl_bench_opts_t *o, struct sweep_series *s,
                               struct sweep_result *r) {
    static double sorted[10000]; /* o->repeat <= 10000 */
    sl_bench_ci_t ci = {.coverage = 0.0};
    char pct[32];
    s->runs++;
    if (strcmp(sweep_get(r, "status"), "ok") == 0)
        s->mops[s->ok++] = atof(sweep_get(r, "mops_per_s"));
    else
        s->failed++;
    if (s->ok >= 2) {
        memcpy(sorted, s->mops, s->ok * sizeof *sorted);
        ci = sl_bench_median_ci(sorted, s->ok, SL_BENCH_CONFIDENCE);
    }
    int full = ci.coverage >= SL_BENCH_CONFIDENCE;
    if (full) {
        snprintf(pct, sizeof pct, "%.2f", 100.0 * ci.halfwidth);
        sweep_set(r, "ci_pct", pct);
    }
    const char *why = NULL;
    if (!o->repeat_auto)
        why = s->runs == o->repeat ? "fixed" : NULL;
    else if (s->failed >= 2) /* a broken allocator does not eat the sweep's time */
        why = "failed";
    else if (full && s->ok >= o->min_repeat && ci.halfwidth <= o->target_ci)
        why = "target";
    else if (s->runs == o->repeat)
        why = "cap";
    if (why)
        sweep_set(r, "stop", why);
    return s->stopped = why != NULL;
}

/* The sweep's running state. */
struct sweep_run {
    const sl_bench_opts_t *o;
    char self[4096]; /* this executable, which every cell re-executes */
    sl_bench_csv_t csv;
    struct sweep_series *series; /* one per allocator, for the current group */
    double *slots;               /* their throughputs: o->repeat per allocator */
    unsigned total, done, failed;
};

/* Whether allocator a runs workload wl (some workloads are spanlab's only). */
static int sweep_runs(const sl_bench_alloc_t *a, const sl_bench_workload_t *wl) {
    return !wl->spanlab_only || strcmp(a->allocator, "spanlab") == 0;
}

/* The most cells the sweep can run; says on stderr what will not run, and why. */
static unsigned sweep_plan(const sl_bench_opts_t *o) {
    unsigned total = 0;
    for (unsigned w = 0; w < o->nwls; w++)
        for (unsigned a = 0; a < o->nallocs; a++)
            if (sweep_runs(&o->allocs[a], o->wls[w]))
                total += o->nthreads * o->repeat;
    for (unsigned i = 0; i < o->nnotes; i++)
        fprintf(stderr, "%s\n", o->notes[i]);
    for (unsigned a = 0; a < o->nallocs; a++)
        if (o->allocs[a].error[0])
            fprintf(stderr, "slbench: %s cannot run, its cells are recorded as failed: %s\n",
                    o->allocs[a].name, o->allocs[a].error);
    for (unsigned w = 0; w < o->nwls; w++)
        for (unsigned a = 0; a < o->nallocs; a++)
            if (!sweep_runs(&o->allocs[a], o->wls[w]) && !o->quiet)
                fprintf(stderr, "slbench: %s runs on spanlab only; not on %s\n", o->wls[w]->name,
                        o->allocs[a].name);
    return total;
}

/* One cell of allocator a in the group (wl, threads): runs it, writes its row, reports
 * progress. Returns whether a repeats again. */
static int sweep_group_cell(struct sweep_run *run, unsigned a, const sl_bench_workload_t *wl,
                            const char *params, unsigned threads, unsigned rep) {
    static struct sweep_result r;
    const sl_bench_opts_t *o = run->o;
    const sl_bench_alloc_t *al = &o->allocs[a];
    const char *row[SL_BENCH_CSV_MAX_COLUMNS];
    char sthreads[16], srep[16];
    sweep_cell(o, run->self, al, wl, threads, rep, &r);
    snprintf(sthreads, sizeof sthreads, "%u", threads);
    snprintf(srep, sizeof srep, "%u", rep);
    sweep_set(&r, "allocator", al->allocator);
    sweep_set(&r, "variant", al->variant);
    sweep_set(&r, "policy", al->policy);
    sweep_set(&r, "workload", wl->name);
    sweep_set(&r, "threads", sthreads);
    sweep_set(&r, "rep", srep);
    sweep_set(&r, "params", params);
    if (sweep_interrupted)
        return 0; /* never record the cell we killed */
    int again = !sweep_series_update(o, &run->series[a], &r);
    for (int i = 0; sl_bench_csv_columns[i]; i++)
        row[i] = r.val[i];
    sl_bench_csv_row(&run->csv, row);
    run->done++;
    run->failed += strcmp(sweep_get(&r, "status"), "ok") != 0;
    sweep_progress(o, run->done, run->total, al, wl, threads, rep, &r);
    return again;
}

/* One (workload, threads) group: rounds of one cell of every allocator still repeating,
 * until none is. */
static void sweep_group(struct sweep_run *run, const sl_bench_workload_t *wl, const char *params,
                        unsigned threads) {
    const sl_bench_opts_t *o = run->o;
    for (unsigned a = 0; a < o->nallocs; a++)
        run->series[a] = (struct sweep_series){.mops = run->slots + (size_t)a * o->repeat};
    int active = 1;
    for (unsigned rep = 0; active && !sweep_interrupted; rep++) {
        active = 0;
        for (unsigned a = 0; a < o->nallocs && !sweep_interrupted; a++)
            if (!run->series[a].stopped && sweep_runs(&o->allocs[a], wl))
                active |= sweep_group_cell(run, a, wl, params, threads, rep);
    }
}

/* Closes the CSV and says how the sweep went; the exit code. */
static int sweep_finish(struct sweep_run *run) {
    const sl_bench_opts_t *o = run->o;
    if (sweep_interrupted) {
        fclose(run->csv.f);
        fprintf(stderr, "slbench: interrupted; the %u complete rows are in %s\n", run->done,
                run->csv.partial);
        return 130;
    }
    char summary[128];
    snprintf(summary, sizeof summary, "%u cells, %u failed", run->done, run->failed);
    int rc = sl_bench_csv_close(&run->csv, summary);
    if (rc) {
        fprintf(stderr, "slbench: cannot finish %s: %s\n", o->out, strerror(-rc));
        return 1;
    }
    if (!o->quiet)
        fprintf(stderr, "slbench: wrote %s (%s)\n", o->out, summary);
    if (run->failed && !o->keep_going) {
        fprintf(stderr,
                "slbench: %u of %u cells failed (their rows say why; --keep-going exits 0)\n",
                run->failed, run->done);
        return 3;
    }
    return 0;
}

int sl_bench_sweep(const sl_bench_opts_t *o, int argc, char **argv) {
    static struct sweep_run run;
    run = (struct sweep_run){.o = o};
    ssize_t n = readlink("/proc/self/exe", run.self, sizeof run.self - 1);
    if (n <= 0) {
        fprintf(stderr, "slbench: cannot find my own executable: %s\n", strerror(errno));
        return 1;
    }
    run.self[n] = 0;
    run.total = sweep_plan(o);
    if (!run.total) {
        fprintf(stderr, "slbench: nothing to run\n");
        return 1;
    }
    run.series = calloc(o->nallocs, sizeof *run.series);
    run.slots = calloc((size_t)o->nallocs * o->repeat, sizeof *run.slots);
    if (!run.series || !run.slots) {
        fprintf(stderr, "slbench: out of memory\n");
        return 1;
    }
    int rc = sl_bench_csv_open(&run.csv, o->out);
    if (rc) {
        fprintf(stderr, "slbench: cannot write %s: %s\n", o->out, strerror(-rc));
        free(run.series);
        free(run.slots);
        return 1;
    }
    struct sigaction sa = {.sa_handler = sweep_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sweep_metadata(&run.csv, o, argc, argv);
    sl_bench_csv_header(&run.csv);

    for (unsigned w = 0; w < o->nwls && !sweep_interrupted; w++) {
        char params[512];
        sweep_params(o, o->wls[w], params, sizeof params);
        for (unsigned t = 0; t < o->nthreads && !sweep_interrupted; t++)
            sweep_group(&run, o->wls[w], params, o->threads[t]);
    }
    free(run.series);
    free(run.slots);
    return sweep_finish(&run);
}
