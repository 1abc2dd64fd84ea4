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
    sl_say(preload_stats_fd,
           "spanlab[%ld]: central cache=%llu uncache=%llu put_available=%llu grown=%llu "
           "returned=%llu available=%llu parked=%llu cached=%llu lock_waits=%llu "
           "cas_retries=%llu grace_periods=%llu grace_periods_bg=%llu local_frees=%llu "
           "remote_frees=%llu home_returns=%llu spills=%llu sweep_cycles=%llu swept_alloc=%llu "
           "swept_bg=%llu sweep_reclaimed=%llu cache_slots=%llu flushes=%llu "
           "adoptions=%llu",
           pid, PRELOAD_U64(c->cache_calls), PRELOAD_U64(c->uncache_calls),
           PRELOAD_U64(c->put_available_calls), PRELOAD_U64(c->spans_grown),
           PRELOAD_U64(c->spans_returned), PRELOAD_U64(c->spans_available),
           PRELOAD_U64(c->spans_parked), PRELOAD_U64(c->spans_cached), PRELOAD_U64(c->lock_waits),
           PRELOAD_U64(c->cas_retries), PRELOAD_U64(c->grace_periods),
           PRELOAD_U64(c->grace_periods_bg), PRELOAD_U64(c->local_frees),
           PRELOAD_U64(c->remote_frees), PRELOAD_U64(c->home_returns), PRELOAD_U64(c->spills),
           PRELOAD_U64(c->sweep_cycles), PRELOAD_U64(c->swept_alloc), PRELOAD_U64(c->swept_bg),
           PRELOAD_U64(c->sweep_reclaimed), PRELOAD_U64(c->cache_slots), PRELOAD_U64(c->flushes),
           PRELOAD_U64(c->adoptions));
    /* Out of memory: reservations smaller than an arena (an address-space limit refused
     * 64 MiB), heap pages that became metadata (mmap refused), NULL answers. */
    sl_say(preload_stats_fd,
           "spanlab[%ld]: memory reservations=%zu reduced=%zu meta_in_heap=" PRELOAD_MIB_FMT
           " enomem=%llu",
           pid, st.reservations, st.reservations_reduced, PRELOAD_MIB(st.heap_meta),
           PRELOAD_U64(st.enomem));
}
