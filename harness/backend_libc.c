/* The process allocator as a backend: glibc, or a peer (jemalloc, tcmalloc, mimalloc,
 * tbbmalloc, scudo, any preload:NAME=PATH) when the cell runs with LD_PRELOAD of its
 * library. `release` asks whichever allocator is live to give free memory back, through
 * that allocator's own entry point.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void *libc_alloc(size_t size) {
    return malloc(size);
}

static void libc_free(void *p) {
    free(p);
}

/* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer,
 * ISO C does not, so the copy goes through memcpy. */
static void *libc_sym(const char *name, void *fn_out, size_t fn_size) {
    void *p = dlsym(RTLD_DEFAULT, name);
    if (p)
        memcpy(fn_out, &p, fn_size);
    return p;
}

static void libc_release(void) {
    void (*mi_collect)(int);
    void (*tc_release)(void);
    int (*mallctl)(const char *, void *, size_t *, void *, size_t);
    int (*tbb_command)(int, void *);
    void (*scudo_stats)(void);
    if (libc_sym("mi_collect", &mi_collect, sizeof mi_collect))
        mi_collect(1);
    else if (libc_sym("MallocExtension_ReleaseFreeMemory", &tc_release, sizeof tc_release))
        tc_release();
    else if (libc_sym("mallctl", &mallctl, sizeof mallctl))
        mallctl("arena.4096.purge", NULL, NULL, NULL, 0); /* 4096 = MALLCTL_ARENAS_ALL */
    else if (libc_sym("scalable_allocation_command", &tbb_command, sizeof tbb_command))
        tbb_command(0, NULL); /* 0 = TBBMALLOC_CLEAN_ALL_BUFFERS */
    else if (libc_sym("__scudo_print_stats", &scudo_stats, sizeof scudo_stats))
        mallopt(-101, 0); /* scudo's M_PURGE: release free memory to the OS */
    else
        malloc_trim(0);
}

const sl_bench_backend_t sl_bench_backend_libc = {
    .name = "libc",
    .alloc = libc_alloc,
    .alloc_noscan = libc_alloc,
    .free = libc_free,
    .thread_end = NULL,
    .release = libc_release,
    .has_central = 0,
};
