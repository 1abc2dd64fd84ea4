/* Peer allocators measured by LD_PRELOAD: where their Debian libraries live, and one
 * symbol each that proves the preload took effect. $SLBENCH_LIB_<NAME> overrides a path.
 * Whether the library's malloc is the live one is checked separately, for peers and for
 * `preload:NAME=PATH` libraries alike (cell.c).
 */
#include <ctype.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"

#if defined(__x86_64__)
#define PEERS_ARCH "x86_64"
#elif defined(__aarch64__)
#define PEERS_ARCH "aarch64"
#else
#define PEERS_ARCH "unknown"
#endif

struct peer {
    const char *name;
    const char *soname;  /* searched in peer_dirs */
    const char *pattern; /* or NULL: a glob(3) pattern, the highest version found wins */
    const char *symbol;  /* defined only when this library is loaded */
    const char *loads;   /* or NULL: the library it loads from its own directory */
};

static const struct peer peers[] = {
    {"jemalloc", "libjemalloc.so.2", NULL, "mallctl", NULL},
    {"tcmalloc", "libtcmalloc_minimal.so.4", NULL, "tc_malloc", NULL},
    {"mimalloc", "libmimalloc.so.2", NULL, "mi_malloc", NULL},
    /* Intel TBB's scalable allocator: the proxy replaces malloc and loads libtbbmalloc. */
    {"tbbmalloc", "libtbbmalloc_proxy.so.2", NULL, "__TBB_malloc_proxy", "libtbbmalloc.so.2"},
    /* LLVM's hardened allocator, shipped with clang's runtime (libclang-rt-N-dev). */
    {"scudo", NULL,
     "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.scudo_standalone-" PEERS_ARCH ".so",
     "__scudo_print_stats", NULL},
};

#define PEERS_N (sizeof peers / sizeof peers[0])

static const char *const peer_names[] = {"jemalloc",  "tcmalloc", "mimalloc",
                                         "tbbmalloc", "scudo",    NULL};

static const char *const peer_dirs[] = {
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    "/lib/x86_64-linux-gnu",
};

const char *const *sl_bench_peer_names(void) {
    return peer_names;
}

static const struct peer *peer_find(const char *name) {
    for (size_t i = 0; i < PEERS_N; i++)
        if (strcmp(peers[i].name, name) == 0)
            return &peers[i];
    return NULL;
}

const char *sl_bench_peer_symbol(const char *name) {
    const struct peer *p = peer_find(name);
    return p ? p->symbol : NULL;
}

const char *sl_bench_peer_loads(const char *name) {
    const struct peer *p = peer_find(name);
    return p ? p->loads : NULL;
}

/* The readable match of pattern with the highest version (llvm-15 over llvm-14). */
static int peer_glob(const char *pattern, char *out, size_t n) {
    glob_t g;
    int found = 0;
    if (glob(pattern, 0, NULL, &g) != 0)
        return 0;
    const char *best = NULL;
    for (size_t i = 0; i < g.gl_pathc; i++)
        if (access(g.gl_pathv[i], R_OK) == 0 && (!best || strverscmp(g.gl_pathv[i], best) > 0))
            best = g.gl_pathv[i];
    if (best && strlen(best) < n) {
        snprintf(out, n, "%s", best);
        found = 1;
    }
    globfree(&g);
    return found;
}

const char *sl_bench_peer_lib(const char *name) {
    static char paths[PEERS_N][4096];
    const struct peer *p = peer_find(name);
    if (!p)
        return NULL;
    char *slot = paths[p - peers];
    char env[64] = "SLBENCH_LIB_";
    for (size_t i = 0; name[i] && i + 13 < sizeof env; i++)
        env[12 + i] = (char)toupper((unsigned char)name[i]);
    const char *over = getenv(env);
    if (over && *over)
        return access(over, R_OK) == 0 ? over : NULL;
    for (size_t i = 0; p->soname && i < sizeof peer_dirs / sizeof peer_dirs[0]; i++) {
        snprintf(slot, sizeof paths[0], "%s/%s", peer_dirs[i], p->soname);
        if (access(slot, R_OK) == 0)
            return slot;
    }
    if (p->pattern && peer_glob(p->pattern, slot, sizeof paths[0]))
        return slot;
    return NULL;
}

int sl_bench_lib_check_file(const char *path, char *why, size_t n) {
    unsigned char h[EI_NIDENT + 4];
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, n, "%s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t got = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, h, sizeof h) : -1;
    close(fd);
    if (got < 0) {
        snprintf(why, n, "%s: not a regular file", path);
        return -1;
    }
    if (got < (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG) != 0) {
        snprintf(why, n, "%s: not an ELF file", path);
        return -1;
    }
    if (h[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)) {
        snprintf(why, n, "%s: a %d-bit library for a %d-bit slbench", path,
                 h[EI_CLASS] == ELFCLASS64 ? 64 : 32, (int)sizeof(void *) * 8);
        return -1;
    }
    /* e_type follows e_ident, in the file's byte order. */
    unsigned type = h[EI_DATA] == ELFDATA2MSB ? (unsigned)h[EI_NIDENT] << 8 | h[EI_NIDENT + 1]
                                              : (unsigned)h[EI_NIDENT + 1] << 8 | h[EI_NIDENT];
    if (type != ET_DYN) {
        snprintf(why, n, "%s: not a shared library (ELF type %u)", path, type);
        return -1;
    }
    return 0;
}

static int peers_same_file(const char *a, const struct stat *b) {
    struct stat st;
    return a && *a && stat(a, &st) == 0 && st.st_dev == b->st_dev && st.st_ino == b->st_ino;
}

static int peers_find_loaded(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    return peers_same_file(info->dlpi_name, arg);
}

int sl_bench_lib_check_live(const char *path, char *why, size_t n) {
    static const char *const entry[] = {"malloc", "free", "calloc", "realloc"};
    struct stat lib;
    if (stat(path, &lib) != 0) {
        snprintf(why, n, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!dl_iterate_phdr(peers_find_loaded, &lib)) {
        snprintf(why, n, "%s did not load (the dynamic loader refused it: see its message)", path);
        return -1;
    }
    for (size_t i = 0; i < sizeof entry / sizeof entry[0]; i++) {
        Dl_info info;
        void *fn = dlsym(RTLD_DEFAULT, entry[i]);
        if (!fn || !dladdr(fn, &info) || !peers_same_file(info.dli_fname, &lib)) {
            snprintf(why, n, "%s does not replace %s (the live one is in %s)", path, entry[i],
                     fn && dladdr(fn, &info) && info.dli_fname ? info.dli_fname : "?");
            return -1;
        }
    }
    return 0;
}
