/* The background scavenger, through the public API: its parameters are checked (a bad
 * value is one clear line and a failed initialisation, never ignored); with no background
 * thread nothing is released until sl_scavenge(); an idle process gets its freed
 * memory back without sl_scavenge() once the decay time has passed; and a heap that
 * holds more than its retained goal gives the excess back before the decay time. The wait for that
 * is generous (SL_SCAV_WAIT_S, default 60 s; the bound it reports is about half a second): a
 * functional check, not a timing target. Under a sanitizer, whose shadow memory stays resident,
 * only the heap's accounting is checked, not RSS (the test says so). Each case runs in its own
 * process, since the parameters are read once at initialisation. One case uses an internal hook
 * (scavenger.h): sl_scavenger_hold gives the quiescence that the conformance suite's counter checks
 * need while the background thread passes over the mcentrals. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "central.h"
#include "check.h"
#include "scavenger.h"
#include "spanlab.h"

/* A sanitizer's shadow of the heap stays resident, so RSS cannot fall back under one; the
 * heap's own accounting is still checked there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RSS_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif

static char self[4096];

struct self_run {
    const char *mode, *var, *value;
};

static int exec_self(void *arg) {
    const struct self_run *r = arg;
    if (r->var)
        setenv(r->var, r->value, 1);
    execl(self, self, r->mode, (char *)NULL);
    return 127;
}

/* Runs this program as `self mode` with one more variable in the environment; returns
 * the wait status and what it wrote on stderr. */
static int run_self(const char *mode, const char *var, const char *value, char *err,
                    size_t errlen) {
    struct self_run r = {mode, var, value};
    return check_child(exec_self, &r, err, errlen);
}

static void test_parameters(void) {
    static const struct {
        const char *var, *value;
    } bad[] = {
        {"SPANLAB_DECAY_MS", "abc"},          {"SPANLAB_DECAY_MS", "-1"},
        {"SPANLAB_DECAY_MS", "3600001"},      {"SPANLAB_DECAY_MS", "10ms"},
        {"SPANLAB_SCAVENGE_MS", "1e3"},       {"SPANLAB_SCAVENGE_MS", "99999999999999999999999"},
        {"SPANLAB_SCAVENGE_RATE", "0"},       {"SPANLAB_SCAVENGE_RATE", "fast"},
        {"SPANLAB_SCAVENGE_RATE", "1048577"}, {"SPANLAB_RETAIN_PCT", "0"},
        {"SPANLAB_RETAIN_PCT", "1001"},       {"SPANLAB_RETAIN_PCT", "on"},
    };
    char err[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = run_self("init", bad[i].var, bad[i].value, err, sizeof err);
        int lines = 0;
        for (const char *c = err; *c; c++)
            lines += *c == '\n';
        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 3, "%s=%s: sl_init did not fail (%#x)",
                  bad[i].var, bad[i].value, st);
        CHECK_MSG(strstr(err, "spanlab: ") && strstr(err, bad[i].var) &&
                      strstr(err, bad[i].value) && lines == 1,
                  "%s=%s: message '%s'", bad[i].var, bad[i].value, err);
    }
    printf("  bad value -> %s", err);
    /* Implicit initialisation (the first malloc) cannot return an error: it aborts. */
    int st = run_self("malloc", "SPANLAB_DECAY_MS", "soon", err, sizeof err);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(err, "SPANLAB_DECAY_MS"),
              "first malloc with a bad value: status %#x, '%s'", st, err);
    /* The extremes are accepted. */
    CHECK(run_self("init", "SPANLAB_DECAY_MS", "0", err, sizeof err) == 0);
    CHECK(run_self("init", "SPANLAB_SCAVENGE_RATE", "1048576", err, sizeof err) == 0);
    CHECK(run_self("init", "SPANLAB_SCAVENGE_MS", "0", err, sizeof err) == 0);
    CHECK(run_self("init", "SPANLAB_RETAIN_PCT", "off", err, sizeof err) == 0);
    CHECK(run_self("init", "SPANLAB_RETAIN_PCT", "1000", err, sizeof err) == 0);
}

enum { THREADS = 2, TOTAL = 128 << 20, MAXOBJ = 1 << 16 };
static void *objs[THREADS][MAXOBJ];

/* Each thread fills its share in objects small and large, then frees them and exits
 * (which hands its caches back to the heap). */
static void *fill_and_free(void *arg) {
    uintptr_t t = (uintptr_t)arg;
    size_t used = 0, n = 0;
    while (used < TOTAL / THREADS && n < MAXOBJ) {
        size_t size = n % 5 == 0 ? 100000 + n % 70000 : 64 + (n * 53) % 4000;
        char *p = sl_malloc(size);
        memset(p, 0x3C, size);
        objs[t][n++] = p;
        used += size;
    }
    for (size_t i = 0; i < n; i++)
        sl_free(objs[t][i]);
    return NULL;
}

static void fill_and_free_all(void) {
    pthread_t ts[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&ts[i], NULL, fill_and_free, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(ts[i], NULL);
}

/* Child: no background thread, so nothing is released until sl_scavenge(). */
static int child_nothread(void) {
    CHECK(sl_init(NULL) == 0);
    fill_and_free_all();
    struct timespec nap = {0, 300 * 1000000L};
    nanosleep(&nap, NULL);
    struct sl_stats st;
    sl_stats(&st);
    CHECK_MSG(st.scav_releases == 0, "%llu releases without a scavenger thread",
              (unsigned long long)st.scav_releases);
    sl_scavenge();
    sl_stats(&st);
    CHECK(st.scav_releases > 0 && st.heap_free == 0);
    return check_done("scavenger (no thread)");
}

/* Child: short decay; freed memory must come back with no sl_scavenge() call. */
static int child_decay(void) {
    CHECK(sl_init(NULL) == 0);
    long base = rss_kib();
    fill_and_free_all();
    long freed = rss_kib();
    double t0 = now_s(), limit = (double)env_long("SL_SCAV_WAIT_S", 60);
    /* Done when the heap keeps no backed free page beyond a thread's page cache, and RSS
     * is back near the start plus what spans still hold (empty spans kept by the
     * mcentrals go back on sl_scavenge() only). */
    struct sl_stats st;
    long rss = freed;
    for (;;) {
        sl_stats(&st);
        rss = rss_kib();
        long held = rss - base - (long)(st.heap_inuse >> 10);
        if ((st.heap_free <= (1 << 20) && (held < 16 * 1024 || !RSS_CHECKED)) ||
            now_s() - t0 >= limit)
            break;
        struct timespec nap = {0, 50 * 1000000L};
        nanosleep(&nap, NULL);
    }
    printf("  decay 200 ms, rate 256 MiB/s: RSS start %ld KiB, all freed %ld KiB, %ld KiB after "
           "%.2f s (spans hold %zu KiB, free backed %zu KiB); %llu releases, %llu pages "
           "released, %llu refaulted\n",
           base, freed, rss, now_s() - t0, st.heap_inuse >> 10, st.heap_free >> 10,
           (unsigned long long)st.scav_releases, (unsigned long long)st.scav_pages_released,
           (unsigned long long)st.scav_pages_refaulted);
    CHECK_MSG(st.heap_free <= (1 << 20), "%zu KiB of free pages still backed after %.0f s",
              st.heap_free >> 10, limit);
    if (RSS_CHECKED) {
        CHECK_MSG(freed - base > 64 * 1024, "the fill did not raise RSS (%ld -> %ld KiB)", base,
                  freed);
        CHECK_MSG(rss - base - (long)(st.heap_inuse >> 10) < 16 * 1024,
                  "RSS still %ld KiB above the start and the spans after %.0f s",
                  rss - base - (long)(st.heap_inuse >> 10), limit);
    } else {
        printf("  RSS not checked: a sanitizer's shadow memory stays resident\n");
    }
    CHECK(st.scav_pages_released > 0);
    return check_done("scavenger (decay)");
}

/* Child (decay an hour, so it releases nothing here; $SPANLAB_RETAIN_PCT set by the
 * caller): the heap holds more than its peak in use. 128 objects of 1 MiB, every other
 * one freed: 64 MiB of 1 MiB holes; then 32 objects of 2 MiB, which no hole fits: the
 * peak in use is 128 MiB and 192 MiB are backed. With a goal of 1 % (at least 16 MiB)
 * over the peak, the background thread must bring the heap back to the goal (the oldest
 * free pages, though younger than the decay time), during the fill or after it; with the
 * goal off, the holes stay backed and nothing is released. */
enum { GOAL_SMALL = 128, GOAL_BIG = 32 };
static int child_goal(void) {
    CHECK(sl_init(NULL) == 0);
    bool goal_on = strcmp(getenv("SPANLAB_RETAIN_PCT"), "off") != 0;
    long base = rss_kib();
    static char *small[GOAL_SMALL], *big[GOAL_BIG];
    for (int i = 0; i < GOAL_SMALL; i++) {
        small[i] = sl_malloc(1 << 20);
        memset(small[i], 0x5A, 1 << 20);
    }
    for (int i = 0; i < GOAL_SMALL; i += 2)
        sl_free(small[i]);
    for (int i = 0; i < GOAL_BIG; i++) {
        big[i] = sl_malloc(2 << 20);
        memset(big[i], 0xA5, 2 << 20);
    }
    struct sl_stats st;
    sl_stats(&st);
    /* The goal over the peak, and what the page caches may add. */
    size_t goal = st.heap_inuse + SL_RETAIN_MIN + (4 << 20);
    double t0 = now_s(), limit = goal_on ? (double)env_long("SL_SCAV_WAIT_S", 60) : 0.5;
    for (;;) {
        sl_stats(&st);
        if ((goal_on && st.heap_inuse + st.heap_free <= goal) || now_s() - t0 >= limit)
            break;
        struct timespec nap = {0, 20 * 1000000L};
        nanosleep(&nap, NULL);
    }
    long rss = rss_kib();
    printf("  goal %s, decay 1 h: in use %zu KiB, backed %zu KiB after %.2f s, RSS %ld KiB over "
           "the start, %llu pages released\n",
           goal_on ? "1 %" : "off", st.heap_inuse >> 10, (st.heap_inuse + st.heap_free) >> 10,
           now_s() - t0, rss - base, (unsigned long long)st.scav_pages_released);
    if (goal_on) {
        CHECK_MSG(st.heap_inuse + st.heap_free <= goal, "%zu KiB backed after %.0f s, goal %zu KiB",
                  (st.heap_inuse + st.heap_free) >> 10, limit, goal >> 10);
        CHECK_MSG((st.scav_pages_released << SL_PAGE_SHIFT) >= (40 << 20),
                  "%llu pages released: not the holes", (unsigned long long)st.scav_pages_released);
        CHECK_MSG(!RSS_CHECKED || rss - base <= (long)(goal >> 10) + 8192,
                  "RSS %ld KiB over the start, goal %zu KiB", rss - base, goal >> 10);
    } else {
        CHECK_MSG(st.heap_inuse + st.heap_free >= goal + (32 << 20),
                  "only %zu KiB backed: the holes were not made",
                  (st.heap_inuse + st.heap_free) >> 10);
        CHECK_MSG(st.scav_pages_released == 0,
                  "%llu pages released with the goal off and "
                  "an hour's decay",
                  (unsigned long long)st.scav_pages_released);
    }
    for (int i = 1; i < GOAL_SMALL; i += 2)
        sl_free(small[i]);
    for (int i = 0; i < GOAL_BIG; i++)
        sl_free(big[i]);
    return check_done(goal_on ? "scavenger (goal)" : "scavenger (goal off)");
}

/* Child (a variant in $SPANLAB_CENTRAL; the thread's period 1 ms, no decay; every stall
 * point stalls): every pass takes each available span of every class
 * (sl_central_release_empty) and gives back the ones still in use, holding them CACHED
 * under its own owner meanwhile; the stalls at the variant's push and pop make a pass
 * last milliseconds, as a pass slowed by contention does. Held with sl_scavenger_hold,
 * the heap is quiescent: nothing cached (no thread has a cache) and grown - returned ==
 * available + parked, at every check, while the passes go on between the checks. Without
 * the hold nearly every check lands inside a pass. */
enum { HOLD_OBJS = 600, HOLD_PASSES = 10, HOLD_CHECKS = 50 };
static void *hold_objs[HOLD_OBJS];

static void *fill_partly(void *arg) {
    (void)arg;
    static const size_t sizes[] = {512, 3072};
    for (size_t i = 0; i < HOLD_OBJS; i++)
        hold_objs[i] = sl_malloc(sizes[i % 2]);
    for (size_t i = 0; i < HOLD_OBJS; i++) { /* half of each size: each span partly used */
        if (i % 4 >= 2) {
            sl_free(hold_objs[i]);
            hold_objs[i] = NULL;
        }
    }
    sl_thread_exit(); /* its spans, each partly in use, go back to the mcentral */
    return NULL;
}

static int child_hold(void) {
    CHECK(sl_init(NULL) == 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, fill_partly, NULL) == 0);
    pthread_join(t, NULL);
    sl_scavenger_hold(true);
    struct sl_stats st;
    sl_stats(&st);
    sl_scavenger_hold(false);
    uint64_t avail = st.central.spans_available, cache0 = st.central.cache_calls;
    CHECK_MSG(avail >= 10, "only %llu spans available after the fill", (unsigned long long)avail);
    unsigned checks = 0, bad = 0;
    double t0 = now_s(), limit = (double)env_long("SL_SCAV_WAIT_S", 60);
    /* Enough checks, and enough passes between them (each pass takes every available
     * span once), or the time limit. */
    while (checks < HOLD_CHECKS ||
           (st.central.cache_calls - cache0 < HOLD_PASSES * avail && now_s() - t0 < limit)) {
        sl_scavenger_hold(true);
        sl_stats(&st);
        struct sl_central_counters c = st.central;
        if (c.spans_cached != 0 ||
            c.spans_grown - c.spans_returned != c.spans_available + c.spans_parked) {
            if (bad++ < 3)
                fprintf(stderr,
                        "  held check %u: grown %llu - returned %llu, cached %llu, available "
                        "%llu, parked %llu\n",
                        checks, (unsigned long long)c.spans_grown,
                        (unsigned long long)c.spans_returned, (unsigned long long)c.spans_cached,
                        (unsigned long long)c.spans_available, (unsigned long long)c.spans_parked);
        }
        sl_scavenger_hold(false);
        checks++;
    }
    uint64_t passes = (st.central.cache_calls - cache0) / avail;
    printf("  hold (%s): %u held checks, %llu passes over %llu available spans between them in "
           "%.2f s, %u unbalanced\n",
           sl_variant(), checks, (unsigned long long)passes, (unsigned long long)avail,
           now_s() - t0, bad);
    CHECK_MSG(bad == 0, "%s: %u of %u held checks saw spans in the scavenger's hands", sl_variant(),
              bad, checks);
    CHECK_MSG(passes >= HOLD_PASSES, "%s: only %llu scavenger passes in %.0f s: nothing tested",
              sl_variant(), (unsigned long long)passes, limit);
    for (size_t i = 0; i < HOLD_OBJS; i++)
        sl_free(hold_objs[i]); /* NULL for the freed half */
    return check_done("scavenger (hold)");
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "init") == 0)
        return sl_init(NULL) == -EINVAL ? 3 : 0;
    if (argc > 1 && strcmp(argv[1], "malloc") == 0) {
        sl_free(sl_malloc(8));
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "nothread") == 0)
        return child_nothread();
    if (argc > 1 && strcmp(argv[1], "decay") == 0)
        return child_decay();
    if (argc > 1 && strcmp(argv[1], "hold") == 0)
        return child_hold();
    if (argc > 1 && strcmp(argv[1], "goal") == 0)
        return child_goal();

    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = '\0';
    test_parameters();
    char out[4096];
    int st = run_self("nothread", "SPANLAB_SCAVENGE_MS", "0", out, sizeof out);
    CHECK_MSG(st == 0, "no-thread child failed (%#x): %s", st, out);
    setenv("SPANLAB_DECAY_MS", "200", 1);
    setenv("SPANLAB_SCAVENGE_MS", "20", 1);
    fflush(NULL);
    st = run_self("decay", NULL, NULL, out, sizeof out);
    CHECK_MSG(st == 0, "decay child failed (%#x): %s", st, out);
    setenv("SPANLAB_DECAY_MS", "3600000", 1);
    for (int on = 1; on >= 0; on--) {
        st = run_self("goal", "SPANLAB_RETAIN_PCT", on ? "1" : "off", out, sizeof out);
        CHECK_MSG(st == 0, "goal child (%s) failed (%#x): %s", on ? "1 %" : "off", st, out);
    }
    setenv("SPANLAB_DECAY_MS", "0", 1);
    setenv("SPANLAB_SCAVENGE_MS", "1", 1);
    setenv("SPANLAB_STALL_PPM", "1000000", 1);
    setenv("SPANLAB_STALL_US", "20", 1);
    for (const sl_central_ops_t *const *v = sl_variant_list(); *v; v++) {
        st = run_self("hold", "SPANLAB_CENTRAL", (*v)->name, out, sizeof out);
        CHECK_MSG(st == 0, "hold child (%s) failed (%#x): %s", (*v)->name, st, out);
    }
    return check_done("scavenger");
}
