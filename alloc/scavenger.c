/* Background scavenging: every period, free pages beyond a retained amount go back to
 * the OS with MADV_DONTNEED (Go's bgscavenge, paced by time instead of CPU share).
 * Retained: max(16 MiB, 10% of the heap in use), like Go's 10% extra over the goal. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "mheap.h"
#include "scavenger.h"

#define RETAIN_MIN ((size_t)16 << 20)

static _Atomic int started; /* 0 = not yet, 1 = running or disabled */
static unsigned period_ms = 100;

void sl_scavenger_configure(void) {
    const char *e = getenv("SPANLAB_SCAVENGE_MS");
    if (e && *e) {
        char *end;
        unsigned long v = strtoul(e, &end, 10);
        if (*end == '\0' && v < 3600000)
            period_ms = (unsigned)v;
    }
    if (period_ms == 0)
        atomic_store_explicit(&started, 1, memory_order_relaxed);
}

static void *scavenger_main(void *arg) {
    (void)arg;
    struct timespec ts = {period_ms / 1000, (long)(period_ms % 1000) * 1000000L};
    for (;;) {
        nanosleep(&ts, NULL);
        struct sl_stats st;
        sl_mheap_stats(&st);
        size_t keep = st.heap_inuse / 10;
        sl_mheap_scavenge(keep > RETAIN_MIN ? keep : RETAIN_MIN);
    }
    return NULL;
}

void sl_scavenger_start(void) {
    if (atomic_load_explicit(&started, memory_order_relaxed))
        return;
    int expected = 0;
    if (!atomic_compare_exchange_strong_explicit(&started, &expected, 1, memory_order_relaxed,
                                                 memory_order_relaxed))
        return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 << 10);
    if (pthread_create(&t, &attr, scavenger_main, NULL) != 0)
        atomic_store_explicit(&started, 0, memory_order_relaxed); /* try again later */
    pthread_attr_destroy(&attr);
}

void sl_scavenger_atfork_child(void) {
    atomic_store_explicit(&started, period_ms == 0 ? 1 : 0, memory_order_relaxed);
}
