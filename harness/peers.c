/* Peer allocators measured by LD_PRELOAD: where their Debian libraries live, and one
 * symbol each that proves the preload took effect. $SLBENCH_LIB_<NAME> overrides a path.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"

struct peer {
    const char *name;
    const char *soname;
    const char *symbol;
};

static const struct peer peers[] = {
    {"jemalloc", "libjemalloc.so.2", "mallctl"},
    {"tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc"},
    {"mimalloc", "libmimalloc.so.2", "mi_malloc"},
};

static const char *const peer_names[] = {"jemalloc", "tcmalloc", "mimalloc", NULL};

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
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++)
        if (strcmp(peers[i].name, name) == 0)
            return &peers[i];
    return NULL;
}

const char *sl_bench_peer_symbol(const char *name) {
    const struct peer *p = peer_find(name);
    return p ? p->symbol : NULL;
}

const char *sl_bench_peer_lib(const char *name) {
    static char paths[sizeof peers / sizeof peers[0]][4096];
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
    for (size_t i = 0; i < sizeof peer_dirs / sizeof peer_dirs[0]; i++) {
        snprintf(slot, sizeof paths[0], "%s/%s", peer_dirs[i], p->soname);
        if (access(slot, R_OK) == 0)
            return slot;
    }
    return NULL;
}
