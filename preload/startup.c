/* Start-up and exit of libspanlab-preload.so: the variant is fixed from $SPANLAB_CENTRAL
 * before the program's own constructors run (an unknown name lists the known ones and
 * aborts), and $SPANLAB_STATS=1 prints a three-line summary of sl_stats() at exit.
 * Allocations that come before this constructor (the loader, libc) are served by spanlab's
 * lazy initialisation, which reads the same variable.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "central.h"
#include "env.h"
#include "fatal.h"
#include "preload.h"
#include "spanlab.h"

/* Written once by the constructor, read by the destructor. */
static bool preload_stats_on;
static int preload_stats_fd = STDERR_FILENO; /* a copy: coreutils close fd 2 before exit */

__attribute__((constructor(101))) static void preload_start(void) {
    /* Usually initialisation already ran, lazily, on the loader's first malloc; an
     * unknown $SPANLAB_CENTRAL has then printed the known variants and aborted. */
    if (sl_init(NULL) < 0)
        abort(); /* the core printed why */
    unsigned stats = 0;
    if (sl_env_unsigned(SL_ENV_STATS, &stats) < 0)
        abort(); /* sl_init checked it: not reached */
    preload_stats_on = stats == 1;
    if (preload_stats_on) {
        int fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 100);
        if (fd >= 0)
            preload_stats_fd = fd;
    }
}

/* Bytes as MiB with one decimal, without floating point in the allocator. */
#define PRELOAD_MIB(x)  (size_t)((x) >> 20), (size_t)((((x) & ((1u << 20) - 1)) * 10) >> 20)
#define PRELOAD_MIB_FMT "%zu.%zuMiB"
#define PRELOAD_U64(x)  ((unsigned long long)(x))

__attribute__((destructor)) static void preload_stats_at_exit(void) {
    if (!preload_stats_on)
        return;
    struct sl_stats st;
    sl_stats(&st);
    const struct sl_central_counters *c = &st.central;
    long pid = (long)getpid();
    sl_say(preload_stats_fd,
           "spanlab[%ld]: variant=%s policy=%s mapped=" PRELOAD_MIB_FMT " inuse=" PRELOAD_MIB_FMT
           " free=" PRELOAD_MIB_FMT " released=" PRELOAD_MIB_FMT
           " spans_small=%zu spans_large=%zu large_inuse=" PRELOAD_MIB_FMT
           " scavenges=%llu releases=%llu released_pages=%llu refaulted_pages=%llu decay_ms=%llu",
           pid, sl_variant(), sl_policy(), PRELOAD_MIB(st.heap_mapped), PRELOAD_MIB(st.heap_inuse),
           PRELOAD_MIB(st.heap_free), PRELOAD_MIB(st.heap_released), st.spans_small, st.spans_large,
           PRELOAD_MIB(st.large_inuse), PRELOAD_U64(st.scavenges), PRELOAD_U64(st.scav_releases),
           PRELOAD_U64(st.scav_pages_released), PRELOAD_U64(st.scav_pages_refaulted),
           PRELOAD_U64(st.scav_decay_ms));
#define PRELOAD_COUNTER_FMT(name, kind) " " #name "=%llu"
#define PRELOAD_COUNTER_ARG(name, kind) , PRELOAD_U64(c->name)
    sl_say(preload_stats_fd, "spanlab[%ld]: central" SL_CENTRAL_COUNTERS(PRELOAD_COUNTER_FMT),
           pid SL_CENTRAL_COUNTERS(PRELOAD_COUNTER_ARG));
#undef PRELOAD_COUNTER_ARG
#undef PRELOAD_COUNTER_FMT
    /* Out of memory: reservations smaller than an arena (an address-space limit refused
     * 64 MiB), heap pages that became metadata (mmap refused), NULL answers. */
    sl_say(preload_stats_fd,
           "spanlab[%ld]: memory reservations=%zu reduced=%zu meta_in_heap=" PRELOAD_MIB_FMT
           " enomem=%llu",
           pid, st.reservations, st.reservations_reduced, PRELOAD_MIB(st.heap_meta),
           PRELOAD_U64(st.enomem));
}
