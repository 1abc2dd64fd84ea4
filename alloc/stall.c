/* Stall points (stall.h): the out-of-line slow path and the configuration. */
#include "stall.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "atomic.h"
#include "env.h"
#include "fatal.h"

_Atomic uint32_t sl_stall_xppm;
static _Atomic uint32_t stall_xus = 50;
static _Atomic uint32_t stall_xmode = SL_STALL_SLEEP;
static _Atomic uint64_t stall_xcount; /* relaxed statistics counter */

/* Per-thread xorshift64 state, seeded from the thread's own address on first use. */
static __thread uint64_t stall_rng;

static uint64_t stall_next(void) {
    uint64_t x = stall_rng;
    if (!x)
        x = ((uint64_t)(uintptr_t)&stall_rng * 0x9e3779b97f4a7c15ull) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    stall_rng = x;
    return x;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sl_stall_hit(void) {
    uint32_t ppm = sl_load_relaxed(&sl_stall_xppm);
    if ((stall_next() >> 11) % SL_STALL_MAX_PPM >= ppm)
        return;
    uint32_t us = sl_load_relaxed(&stall_xus);
    sl_count(&stall_xcount);
    if (sl_load_relaxed(&stall_xmode) == SL_STALL_SPIN) {
        uint64_t end = now_ns() + (uint64_t)us * 1000u;
        while (now_ns() < end)
            sl_cpu_relax();
    } else {
        struct timespec ts = {us / 1000000u, (long)(us % 1000000u) * 1000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

int sl_stall_configure(uint32_t ppm, uint32_t us, sl_stall_mode_t mode) {
    if (ppm > SL_STALL_MAX_PPM || us > SL_STALL_MAX_US ||
        (mode != SL_STALL_SLEEP && mode != SL_STALL_SPIN)) {
        sl_message("stall: ppm %u (0..%u), us %u (0..%u), mode %d: out of range", ppm,
                   SL_STALL_MAX_PPM, us, SL_STALL_MAX_US, (int)mode);
        return -EINVAL;
    }
    sl_store_relaxed(&stall_xus, us);
    sl_store_relaxed(&stall_xmode, (uint32_t)mode);
    sl_store_relaxed(&sl_stall_xppm, ppm); /* last: the points start drawing */
    return 0;
}

/* env.c's words for SPANLAB_STALL_MODE stand for these values. */
_Static_assert(SL_STALL_SLEEP == 0 && SL_STALL_SPIN == 1, "SPANLAB_STALL_MODE's words");

int sl_stall_configure_env(void) {
    unsigned ppm = sl_load_relaxed(&sl_stall_xppm), us = sl_load_relaxed(&stall_xus),
             mode = sl_load_relaxed(&stall_xmode);
    if (sl_env_unsigned(SL_ENV_STALL_PPM, &ppm) < 0 || sl_env_unsigned(SL_ENV_STALL_US, &us) < 0 ||
        sl_env_unsigned(SL_ENV_STALL_MODE, &mode) < 0)
        return -EINVAL;
    return sl_stall_configure(ppm, us, (sl_stall_mode_t)mode);
}

uint64_t sl_stall_count(void) {
    return sl_load_relaxed(&stall_xcount);
}
