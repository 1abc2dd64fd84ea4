/* Latency clock: the time-stamp counter where the CPU says it is constant and non-stop
 * (calibrated against CLOCK_MONOTONIC), else CLOCK_MONOTONIC in nanoseconds.
 */
#ifndef SL_BENCH_CLOCK_H
#define SL_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define SL_CLOCK_HAVE_TSC 1
#endif

extern int sl_clock_tsc;            /* 1: ticks are TSC cycles; 0: nanoseconds */
extern double sl_clock_ns_per_tick; /* set by sl_clock_init */

/* Chooses the tick source and calibrates it (about 20 ms). */
void sl_clock_init(int allow_tsc);
/* "rdtsc 2.096 GHz, resolution 10 ns, empty measurement 20 ns (included)" or the same
 * for CLOCK_MONOTONIC. */
const char *sl_clock_describe(void);

static inline uint64_t sl_clock_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Start of a timed op: earlier instructions retire first (lfence), so they are not billed. */
static inline uint64_t sl_clock_start(void) {
#ifdef SL_CLOCK_HAVE_TSC
    if (sl_clock_tsc) {
        _mm_lfence();
        return __rdtsc();
    }
#endif
    return sl_clock_mono_ns();
}

/* End of a timed op: rdtscp waits for the op's instructions to finish. */
static inline uint64_t sl_clock_stop(void) {
#ifdef SL_CLOCK_HAVE_TSC
    if (sl_clock_tsc) {
        unsigned aux;
        uint64_t t = __rdtscp(&aux);
        _mm_lfence();
        return t;
    }
#endif
    return sl_clock_mono_ns();
}

static inline uint64_t sl_clock_now(void) {
    return sl_clock_start();
}

static inline double sl_clock_to_ns(uint64_t ticks) {
    return (double)ticks * sl_clock_ns_per_tick;
}

#endif
