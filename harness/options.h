/* slbench command line: parsed and fully validated before anything runs (exit 2 on any
 * unknown option, name or impossible value). The parent and the per-cell child parse the
 * same syntax; the child adds --cell, --rep and --result-fd.
 */
#ifndef SL_BENCH_OPTIONS_H
#define SL_BENCH_OPTIONS_H

#include "bench.h"

#define SL_BENCH_MAX_ALLOCS     64
#define SL_BENCH_MAX_WLS        16
#define SL_BENCH_MAX_THREADS    256
#define SL_BENCH_MAX_SETTINGS   32
#define SL_BENCH_DEFAULT_SAMPLE 512
#define SL_BENCH_CONFIDENCE     0.95 /* of every interval slbench and scripts/plot show */

typedef enum sl_bench_alloc_kind {
    SL_BENCH_ALLOC_SPANLAB, /* sl_init("variant/policy"), the workloads call sl_* */
    SL_BENCH_ALLOC_GLIBC,   /* the process malloc, nothing preloaded */
    SL_BENCH_ALLOC_PEER,    /* a known peer library, LD_PRELOADed */
    SL_BENCH_ALLOC_PRELOAD, /* preload:NAME=PATH, any malloc-replacing library */
} sl_bench_alloc_kind_t;

typedef struct sl_bench_alloc {
    char name[80];      /* as the user names it: "spanlab:mutex/home", "jemalloc", "preload:NAME" */
    char allocator[32]; /* CSV `allocator`: "spanlab", "glibc", "jemalloc", ..., NAME */
    char variant[32];   /* CSV `variant`: the spanlab variant, "" for peers */
    char policy[32];    /* CSV `policy`: the span-return policy, "" for peers */
    sl_bench_alloc_kind_t kind;
    const char *lib; /* library to LD_PRELOAD (absolute), NULL for spanlab and glibc */
    char path[4096]; /* preload: where lib points */
    char error[200]; /* preload: why its cells cannot run ("" = they can) */
} sl_bench_alloc_t;

typedef struct sl_bench_setting {
    char workload[32]; /* "" = every selected workload that has the key */
    char key[32];
    long value;
} sl_bench_setting_t;

typedef struct sl_bench_opts {
    int list, cell, pin, quiet, keep_going;
    sl_bench_alloc_t allocs[SL_BENCH_MAX_ALLOCS];
    unsigned nallocs;
    const sl_bench_workload_t *wls[SL_BENCH_MAX_WLS];
    unsigned nwls;
    unsigned threads[SL_BENCH_MAX_THREADS];
    unsigned nthreads;
    double seconds;
    unsigned repeat;     /* --repeat N; with repeat_auto: the most repetitions (--max-repeat) */
    int repeat_auto;     /* --repeat auto: repeat until the interval is within target_ci */
    unsigned min_repeat; /* --min-repeat: repetitions before the first stop (auto) */
    double target_ci;    /* --target-ci PCT / 100: the 95 % interval's reach from the median */
    char out[4096];
    sl_bench_setting_t settings[SL_BENCH_MAX_SETTINGS];
    unsigned nsettings;
    long sample_every;   /* --param sample=N; 0 = no latency sampling, -1 = per workload */
    long timeout_s;      /* --param timeout=S; 0 = seconds*10+30 */
    unsigned rep;        /* child: repetition number */
    int result_fd;       /* child: where the result lines go */
    char notes[16][160]; /* peers asked for but not installed */
    unsigned nnotes;
} sl_bench_opts_t;

/* 0, or 2 after printing "slbench: <why>" on stderr. */
int sl_bench_opts_parse(sl_bench_opts_t *o, int argc, char **argv);

/* Resolve one workload's parameters from the settings; 0 or 2 (out of range). */
int sl_bench_opts_params(const sl_bench_opts_t *o, const sl_bench_workload_t *wl, long *out);

/* The sampling interval a workload runs with. */
long sl_bench_opts_sample(const sl_bench_opts_t *o, const sl_bench_workload_t *wl);

/* Peers (peers.c): the library for a peer name, NULL if not installed; names listed. */
const char *sl_bench_peer_lib(const char *name);
/* "jemalloc", "tcmalloc", "mimalloc", "tbbmalloc", "scudo", NULL */
const char *const *sl_bench_peer_names(void);
/* Symbol that is defined only when that peer is the live malloc (preload check). */
const char *sl_bench_peer_symbol(const char *name);
/* The allocator library a peer's preloaded library loads from its own directory (the
 * tbbmalloc proxy loads libtbbmalloc.so.2), NULL if none; recorded in the metadata. */
const char *sl_bench_peer_loads(const char *name);
/* Parent: 0 if path can be preloaded as far as its file tells (readable ELF shared object
 * of this machine's class), else why not in why. */
int sl_bench_lib_check_file(const char *path, char *why, size_t n);
/* Child: 0 if this process's malloc, free, calloc and realloc are path's, else why not. */
int sl_bench_lib_check_live(const char *path, char *why, size_t n);

#endif
