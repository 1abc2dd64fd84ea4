/* Tick source selection and TSC calibration for the latency clock (clock.h). */
#include <stdio.h>
#include <string.h>

#include "clock.h"

int sl_clock_tsc;
double sl_clock_ns_per_tick = 1.0;
static char clock_desc[160] = "CLOCK_MONOTONIC";

/* The TSC is usable as a clock only when its rate is fixed and it runs in every C-state. */
static int clock_tsc_trustworthy(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    int ok = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) == 0) {
            ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
            break;
        }
    }
    fclose(f);
    return ok;
}

/* Resolution (smallest step between two readings) and the cost of an empty
 * start/stop pair (median), both in ns; every sampled latency includes the latter. */
static void clock_measure(const char *name) {
    uint64_t res = UINT64_MAX, empty[257];
    for (int i = 0; i < 1000; i++) {
        uint64_t a = sl_clock_start(), b = sl_clock_start();
        if (b > a && b - a < res)
            res = b - a;
    }
    for (int i = 0; i < 257; i++) {
        uint64_t a = sl_clock_start();
        empty[i] = sl_clock_stop() - a;
    }
    for (int i = 1; i < 257; i++) /* insertion sort: tiny array */
        for (int j = i; j > 0 && empty[j - 1] > empty[j]; j--) {
            uint64_t x = empty[j];
            empty[j] = empty[j - 1];
            empty[j - 1] = x;
        }
    snprintf(clock_desc, sizeof clock_desc,
             "%s, resolution %.0f ns, empty measurement %.0f ns (included in latencies)", name,
             res == UINT64_MAX ? 0.0 : sl_clock_to_ns(res), sl_clock_to_ns(empty[128]));
}

void sl_clock_init(int allow_tsc) {
    char name[64];
    sl_clock_tsc = 0;
    sl_clock_ns_per_tick = 1.0;
#ifdef SL_CLOCK_HAVE_TSC
    if (allow_tsc && clock_tsc_trustworthy()) {
        uint64_t n0 = sl_clock_mono_ns(), c0 = __rdtsc();
        uint64_t n1, c1;
        do {
            n1 = sl_clock_mono_ns();
            c1 = __rdtsc();
        } while (n1 - n0 < 20000000u);
        if (c1 > c0) {
            sl_clock_tsc = 1;
            sl_clock_ns_per_tick = (double)(n1 - n0) / (double)(c1 - c0);
            snprintf(name, sizeof name, "rdtsc %.3f GHz", 1.0 / sl_clock_ns_per_tick);
            clock_measure(name);
            return;
        }
    }
#else
    (void)allow_tsc;
#endif
    clock_measure("CLOCK_MONOTONIC");
}

const char *sl_clock_describe(void) {
    return clock_desc;
}
