/* Out of memory is an answer: a deterministic fault-injection walk for one variant under
 * every span-return policy, `test_faults <variant>`. Linked against libspanlab-test.a
 * (alloc/fault.h), where every OS reservation and metadata allocation is a numbered failure point.
 *
 * A dry run of the workload counts its failure points, P. Then, for n over 1..P, a fresh
 * child process (the parent never touches spanlab) runs the workload with point n armed:
 *   one-shot  only point n fails: an allocation may answer NULL, which must come with
 *             errno = ENOMEM, and the same allocation retried at once must succeed;
 *   sticky    point n and every later one fail: allocations answer NULL + ENOMEM until the
 *             faults are disarmed.
 * Either way the child then disarms, frees everything it holds (checking every payload),
 * flushes its cache, scavenges, and checks: the page allocator is consistent and its pages
 * in use are exactly those of live spans (sl_mheap_verify), no span or page is left in use,
 * the mcentral counters balance (grown - returned = cached + available + parked, and the
 * variant's own available count agrees). Then the whole workload runs again without faults,
 * every allocation must succeed, and the same checks hold after freeing it.
 *
 * Sizes: SL_FAULT_RUNS (40) caps the points walked per mode, spread evenly over 1..P
 * (always including the first and the last); SL_FAULT_ALL=1 walks every point.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "central.h"
#include "fault.h"
#include "mheap.h"
#include "policy.h"
#include "sizeclass.h"
#include "spanlab.h"

#ifndef SL_FAULT_INJECTION
#error "test_faults needs libspanlab-test (SL_FAULT_INJECTION)"
#endif

/* What a child tells the parent (a shared anonymous page). */
struct report {
    uint64_t points;   /* failure points passed by the faulty pass */
    uint64_t fired;    /* of which made to fail */
    uint64_t nulls;    /* allocations answered NULL (each with ENOMEM) */
    int done;          /* the child reached its end */
    char failure[512]; /* the first failed check */
};

static struct report *rep;
static char variant[128]; /* "variant/policy" */
static bool sticky;       /* this child's mode */
static bool faulty;       /* faults may fire in this pass */

/* A failed REQUIRE in the child: its line goes to the parent through the report. */
static void record_failure(const char *line) {
    snprintf(rep->failure, sizeof rep->failure, "%s", line);
}

/* --- Objects held, with payloads ------------------------------------------------------ */

#define MAX_OBJS 65536
static struct obj {
    unsigned char *p;
    size_t size;
    unsigned seed;
} objs[MAX_OBJS];
static unsigned nobjs;

/* Stamp up to 16 bytes at each end (a 70 MiB object is not touched in between). */
static void stamp(unsigned char *p, size_t size, unsigned seed) {
    size_t n = size < 16 ? size : 16;
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i);
    for (size_t i = 0; i < n; i++)
        p[size - 1 - i] = (unsigned char)(seed ^ (i * 7));
}

static bool stamped(const unsigned char *p, size_t size, unsigned seed) {
    size_t n = size < 16 ? size : 16;
    for (size_t i = 0; i < n; i++)
        if (p[size - 1 - i] != (unsigned char)(seed ^ (i * 7)))
            return false;
    for (size_t i = 0; i < n && i < size - n; i++) /* the head bytes the tail left alone */
        if (p[i] != (unsigned char)(seed + i))
            return false;
    return true;
}

static void keep(void *p, size_t size) {
    REQUIRE(nobjs < MAX_OBJS, "object table full");
    static unsigned seed = 1;
    seed = seed * 1103515245u + 12345u;
    stamp(p, size, seed);
    objs[nobjs++] = (struct obj){p, size, seed};
}

static void drop(unsigned i) {
    struct obj *o = &objs[i];
    REQUIRE(stamped(o->p, o->size, o->seed), "payload of a %zu-byte object at %p corrupted",
            o->size, (void *)o->p);
    sl_free(o->p);
    objs[i] = objs[--nobjs];
}

/* One allocation under the mode's rules; kept (stamped) when it succeeds. */
enum kind { K_MALLOC, K_NOSCAN, K_CALLOC, K_ALIGNED };

static void *try_alloc(enum kind k, size_t size, size_t align) {
    switch (k) {
    case K_MALLOC:
        return sl_malloc(size);
    case K_NOSCAN:
        return sl_malloc_noscan(size);
    case K_CALLOC:
        return sl_calloc(1, size);
    case K_ALIGNED:
        return sl_aligned_alloc(align, size);
    }
    return NULL;
}

static void *alloc_one(enum kind k, size_t size, size_t align) {
    errno = 0;
    void *p = try_alloc(k, size, align);
    if (!p) {
        REQUIRE(faulty, "a %zu-byte allocation (kind %d) failed with no fault armed (errno %d)",
                size, k, errno);
        REQUIRE(errno == ENOMEM, "a %zu-byte allocation answered NULL with errno %d, not ENOMEM",
                size, errno);
        rep->nulls++;
        if (sticky)
            return NULL;
        p = try_alloc(k, size, align); /* the one fault is spent: this must work */
        REQUIRE(p, "a %zu-byte allocation failed again right after a single fault (errno %d)", size,
                errno);
    }
    if (align)
        REQUIRE(((uintptr_t)p & (align - 1)) == 0, "aligned_alloc(%zu) gave %p", align, p);
    if (k == K_CALLOC)
        for (size_t i = 0; i < size && i < 4096; i++)
            REQUIRE(((unsigned char *)p)[i] == 0, "calloc memory not zero at %zu", i);
    keep(p, size);
    return p;
}

/* --- The workload ---------------------------------------------------------------------- */

/* Every size class, scan and (every third) noscan, one object more than a span holds, so
 * that each class grows two spans; tiny objects; pointer-free 64-byte ones. */
static void small_objects(unsigned scale) {
    for (unsigned sc = 1; sc < SL_NUM_SIZE_CLASSES; sc++) {
        size_t size = sl_class_to_size[sc];
        unsigned n = scale * (sl_class_to_nelems[sc] + 1u);
        for (unsigned j = 0; j < n; j++)
            alloc_one(sc % 3 ? K_MALLOC : K_NOSCAN, size, 0);
    }
    for (unsigned j = 0; j < 300 * scale; j++)
        alloc_one(K_NOSCAN, 1 + j % 15, 0); /* tiny */
}

static void *thread_body(void *arg) {
    (void)arg;
    unsigned first = nobjs;
    small_objects(1);
    alloc_one(K_MALLOC, 200 << 10, 0);
    /* Free about half of what this thread made; the rest stays for the main thread to free
     * remotely once this thread's cache is flushed. */
    for (unsigned i = nobjs; i-- > first;)
        if (i % 2)
            drop(i);
    sl_thread_exit();
    return NULL;
}

static void realloc_chain(void) {
    void *p = alloc_one(K_MALLOC, 10, 0);
    if (!p)
        return;
    unsigned i = nobjs - 1;
    static const size_t steps[] = {100, 5000, 100000, 300};
    for (unsigned s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        REQUIRE(stamped(objs[i].p, objs[i].size, objs[i].seed), "payload lost before realloc");
        unsigned char head = objs[i].p[0];
        errno = 0;
        unsigned char *q = sl_realloc(objs[i].p, steps[s]);
        if (!q) {
            REQUIRE(faulty && errno == ENOMEM, "realloc to %zu failed (errno %d)", steps[s], errno);
            rep->nulls++;
            /* The old block is untouched and still ours. */
            REQUIRE(stamped(objs[i].p, objs[i].size, objs[i].seed),
                    "payload lost by a failed realloc");
            if (sticky)
                return;
            q = sl_realloc(objs[i].p, steps[s]);
            REQUIRE(q, "realloc to %zu failed again right after a single fault", steps[s]);
        }
        REQUIRE(q[0] == head, "realloc lost the payload");
        objs[i].p = q;
        objs[i].size = steps[s];
        stamp(q, steps[s], objs[i].seed);
    }
}

static void workload(void) {
    int r = sl_init(variant);
    if (r != 0) {
        REQUIRE(faulty && r == -ENOMEM, "sl_init(%s) = %d", variant, r);
        rep->nulls++;
        if (!sticky)
            REQUIRE(sl_init(variant) == 0, "sl_init failed again right after a single fault");
    }
    small_objects(1);
    alloc_one(K_MALLOC, 40 << 10, 0);
    alloc_one(K_MALLOC, 1 << 20, 0);
    alloc_one(K_MALLOC, (size_t)70 << 20, 0); /* more than an arena */
    alloc_one(K_MALLOC, (size_t)50 << 20, 0);
    alloc_one(K_ALIGNED, 100 << 10, 1 << 20);
    alloc_one(K_ALIGNED, 100, 64);
    alloc_one(K_CALLOC, 1000, 0);
    alloc_one(K_CALLOC, 100 << 10, 0);
    realloc_chain();
    /* Give back every third object and allocate the same sizes again: parked and partial
     * spans go back to the mcentral and come out again. */
    unsigned n = nobjs;
    size_t sizes[MAX_OBJS / 3 + 1];
    unsigned nsizes = 0;
    for (unsigned i = n; i-- > 0;)
        if (i % 3 == 0 && objs[i].size <= 32768) {
            sizes[nsizes++] = objs[i].size;
            drop(i);
        }
    for (unsigned i = 0; i < nsizes; i++)
        alloc_one(K_MALLOC, sizes[i], 0);
    /* A second thread: its own cache, page cache and counters; objects it leaves are freed
     * here, remotely. Joined before anything else runs, so points stay in order. */
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, thread_body, NULL) == 0, "pthread_create");
    pthread_join(t, NULL);
    for (unsigned i = nobjs; i-- > 0;)
        if (i % 2 == 0)
            drop(i);
    small_objects(1);
}

static void check_heap(const char *when) {
    const char *why = sl_mheap_verify();
    REQUIRE(!why, "%s: heap: %s", when, why);
    struct sl_stats st;
    sl_stats(&st);
    REQUIRE(st.heap_inuse == 0 && st.spans_small == 0 && st.spans_large == 0,
            "%s: leak: %zu bytes in use, %zu small spans, %zu large spans after freeing everything",
            when, st.heap_inuse, st.spans_small, st.spans_large);
    REQUIRE(st.heap_free + st.heap_released + st.heap_meta == st.heap_mapped,
            "%s: free %zu + released %zu + metadata %zu != mapped %zu", when, st.heap_free,
            st.heap_released, st.heap_meta, st.heap_mapped);
    for (unsigned spc = SL_FIRST_SPAN_CLASS; spc < SL_NUM_SPAN_CLASSES; spc++) {
        struct sl_central_counters c;
        sl_central_counters((int)spc, &c);
        REQUIRE(c.spans_grown - c.spans_returned ==
                    c.spans_cached + c.spans_available + c.spans_parked,
                "%s: class %u: grown %llu - returned %llu != cached %llu + available %llu + parked "
                "%llu",
                when, spc, (unsigned long long)c.spans_grown, (unsigned long long)c.spans_returned,
                (unsigned long long)c.spans_cached, (unsigned long long)c.spans_available,
                (unsigned long long)c.spans_parked);
        REQUIRE(c.spans_available == sl_central_available_derived(spc),
                "%s: class %u: the variant holds %llu spans, the counters say %llu", when, spc,
                (unsigned long long)c.spans_available,
                (unsigned long long)sl_central_available_derived(spc));
    }
}

static void free_all_and_check(const char *when) {
    while (nobjs > 0)
        drop(nobjs - 1);
    sl_thread_exit();
    sl_scavenge();
    check_heap(when);
}

static void child(uint64_t arm_at, bool is_sticky) {
    check_on_fail = record_failure;
    sticky = is_sticky;
    faulty = arm_at != 0;
    sl_fault_arm(arm_at, sticky);
    workload();
    rep->points = sl_fault_points();
    rep->fired = sl_fault_fired();
    sl_fault_arm(0, false);
    faulty = false;
    free_all_and_check("after the faulty pass");
    workload();
    free_all_and_check("after the clean pass");
    rep->done = 1;
    _exit(0);
}

/* Run one child; returns its report (a copy). */
static struct report run(uint64_t arm_at, bool is_sticky) {
    memset(rep, 0, sizeof *rep);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0)
        child(arm_at, is_sticky);
    int status;
    waitpid(pid, &status, 0);
    struct report r = *rep;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0 && r.done)) {
        if (!r.failure[0]) {
            if (WIFSIGNALED(status))
                snprintf(r.failure, sizeof r.failure, "killed by signal %d", WTERMSIG(status));
            else
                snprintf(r.failure, sizeof r.failure, "exit status %d", WEXITSTATUS(status));
        }
    } else {
        r.failure[0] = '\0';
    }
    return r;
}

/* The walk for one variant/policy pair; returns the number of failures. */
static int walk(uint64_t cap, bool exhaustive) {
    setenv("SPANLAB_CENTRAL", variant, 1);
    struct report dry = run(0, false);
    if (dry.failure[0]) {
        printf("test_faults %s: the workload fails without faults: %s\n", variant, dry.failure);
        return 1;
    }
    uint64_t points = dry.points;
    if (points == 0) {
        printf("test_faults %s: the workload passed no failure point\n", variant);
        return 1;
    }
    uint64_t runs = exhaustive || cap == 0 || cap >= points ? points : cap;
    int failed = 0;
    for (int mode = 0; mode < 2; mode++) {
        bool st = mode == 1;
        uint64_t answered = 0, absorbed = 0, walked = 0;
        for (uint64_t k = 0; k < runs; k++) {
            /* Evenly spread, first and last included. */
            uint64_t n = runs == 1 ? 1 : 1 + k * (points - 1) / (runs - 1);
            struct report r = run(n, st);
            walked++;
            if (!r.failure[0] && (st ? r.fired == 0 : r.fired != 1))
                snprintf(r.failure, sizeof r.failure,
                         "point %llu fired %llu times (the workload is not deterministic)",
                         (unsigned long long)n, (unsigned long long)r.fired);
            if (r.failure[0]) {
                printf("test_faults %s: FAIL at point %llu of %llu (%s): %s\n", variant,
                       (unsigned long long)n, (unsigned long long)points,
                       st ? "sticky" : "one-shot", r.failure);
                if (++failed >= 10)
                    return failed;
                continue;
            }
            if (r.nulls)
                answered++;
            else
                absorbed++;
        }
        printf("test_faults %s: %s: %llu of %llu failure points walked: %llu answered NULL + "
               "ENOMEM, %llu absorbed by a fallback; heap consistent, nothing leaked, the clean "
               "pass after each succeeded\n",
               variant, st ? "sticky  " : "one-shot", (unsigned long long)walked,
               (unsigned long long)points, (unsigned long long)answered,
               (unsigned long long)absorbed);
        if (st && answered == 0) {
            printf("test_faults %s: FAIL: no sticky fault made an allocation fail\n", variant);
            failed++;
        }
    }
    return failed;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_faults VARIANT\n");
        return 2;
    }
    setenv("SPANLAB_SCAVENGE_MS", "0", 1); /* no background thread: one order of points */
    setenv("SPANLAB_SWEEPER", "0", 1);     /* likewise sweep's background sweeper */
    rep = mmap(NULL, sizeof *rep, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rep == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    const char *all = getenv("SL_FAULT_ALL");
    const char *runs = getenv("SL_FAULT_RUNS");
    long cap = strtol(runs && *runs ? runs : "40", NULL, 10);
    bool exhaustive = all && strcmp(all, "1") == 0;
    int failed = 0;
    /* The registry needs no initialisation: this process never allocates from spanlab. */
    for (const sl_policy_t *const *p = sl_policy_list(); *p; p++) {
        snprintf(variant, sizeof variant, "%s/%s", argv[1], (*p)->name);
        failed += walk(cap > 0 ? (uint64_t)cap : 0, exhaustive);
    }
    return failed ? 1 : 0;
}
