/* Behaviour of the interposed malloc family, run with and without libspanlab-preload.so:
 *   check api       C and glibc semantics: alignment, zeroing, realloc, errno, aligned forms
 *   check threads   thousands of short threads (with remote frees) keep RSS flat
 *   check <bad>     a bad or double free, which must abort with one line naming the pointer
 * Under spanlab, `api` ends with a leak check (nothing on stdout): see check_leaks.
 * Every line on stdout is the same under glibc and spanlab, so the driver compares them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "spanlab.h" /* struct sl_stats only: the functions are looked up with dlsym */

/* Sizes the compiler cannot see, so that it does not warn about the impossible requests
 * that these checks make on purpose. */
static volatile size_t opaque_size;
static size_t hide(size_t n) {
    opaque_size = n;
    return opaque_size;
}

static bool aligned(const void *p, size_t a) {
    return ((uintptr_t)p & (a - 1)) == 0;
}

/* The alignment C promises a request of n bytes: 16 from 16 bytes on, else the largest
 * power of two not above n (what any object of that size can need), at most 16. */
static size_t c_align(size_t n) {
    if (n >= 16)
        return 16;
    size_t a = 1;
    while (a * 2 <= n)
        a *= 2;
    return a;
}

/* Allocated before main: the loader and libc have already used malloc by now. */
static void *early;
__attribute__((constructor)) static void check_early(void) {
    early = malloc(100);
    memset(early, 0x5a, 100);
}

static void check_plain(void) {
    static void *keep[5000];
    for (size_t n = 0; n < 5000; n++) {
        unsigned char *p = malloc(n);
        CHECK_MSG(p != NULL, "malloc(%zu)", n);
        CHECK_MSG(aligned(p, c_align(n)), "malloc(%zu) = %p", n, (void *)p);
        CHECK_MSG(malloc_usable_size(p) >= n, "usable %zu < %zu", malloc_usable_size(p), n);
        memset(p, (int)(n & 0xff), n);
        keep[n] = p;
    }
    for (size_t n = 0; n < 5000; n++) {
        unsigned char *p = keep[n];
        for (size_t i = 0; i < n; i++)
            if (p[i] != (unsigned char)(n & 0xff)) {
                CHECK_MSG(0, "malloc(%zu) block %p overwritten at %zu", n, (void *)p, i);
                break;
            }
        free(p);
    }
    /* malloc(0): a unique pointer that free takes. */
    void *z1 = malloc(0), *z2 = malloc(0);
    CHECK_MSG(z1 != NULL && z2 != NULL && z1 != z2, "malloc(0) %p %p", z1, z2);
    free(z1);
    free(z2);
    free(NULL);
    /* Large and huge. */
    size_t big[] = {32768, 32769, 65536, 1 << 20, (1 << 20) + 1, 50u << 20};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        unsigned char *p = malloc(big[i]);
        CHECK_MSG(p != NULL && aligned(p, 16), "malloc(%zu) = %p", big[i], (void *)p);
        p[0] = 1;
        p[big[i] - 1] = 2;
        free(p);
    }
    errno = 0;
    CHECK_MSG(malloc(hide(SIZE_MAX - 4096)) == NULL && errno == ENOMEM, "huge malloc errno %d",
              errno);
    errno = 0;
    CHECK_MSG(malloc(hide((size_t)1 << 62)) == NULL && errno == ENOMEM, "2^62 malloc errno %d",
              errno);
    CHECK_MSG(((unsigned char *)early)[99] == 0x5a, "pre-main block lost");
    free(early);
    printf("plain ok\n");
}

static void check_calloc(void) {
    /* Dirty memory first, so that reuse must be zeroed. */
    for (int round = 0; round < 3; round++) {
        void *dirty[300];
        for (int i = 0; i < 300; i++) {
            dirty[i] = malloc((size_t)(i * 37 % 3000) + 1);
            memset(dirty[i], 0xff, (size_t)(i * 37 % 3000) + 1);
        }
        for (int i = 0; i < 300; i++)
            free(dirty[i]);
        for (size_t n = 1; n < 3000; n += 7) {
            unsigned char *p = calloc(n, 3);
            CHECK_MSG(p != NULL && aligned(p, c_align(n * 3)), "calloc(%zu, 3) = %p", n, (void *)p);
            for (size_t i = 0; i < n * 3; i++)
                if (p[i] != 0) {
                    CHECK_MSG(0, "calloc(%zu, 3) not zero at %zu", n, i);
                    break;
                }
            free(p);
        }
    }
    unsigned char *p = calloc(1, 3u << 20);
    CHECK_MSG(p != NULL && p[0] == 0 && p[(3u << 20) - 1] == 0, "large calloc");
    free(p);
    errno = 0;
    CHECK_MSG(calloc(hide(SIZE_MAX / 2), 3) == NULL && errno == ENOMEM, "calloc overflow errno %d",
              errno);
    errno = 0;
    CHECK_MSG(calloc(hide((size_t)1 << 40), (size_t)1 << 30) == NULL && errno == ENOMEM,
              "calloc overflow 2 errno %d", errno);
    printf("calloc ok\n");
}

static void check_realloc(void) {
    size_t sizes[] = {1, 7, 8, 9, 16, 17, 24, 25, 100, 1000, 4000, 32768, 40000, 300000, 64, 3};
    unsigned char *p = NULL;
    size_t have = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        p = realloc(p, n);
        CHECK_MSG(p != NULL && aligned(p, c_align(n)), "realloc(.., %zu) = %p", n, (void *)p);
        for (size_t j = 0; j < (have < n ? have : n); j++)
            if (p[j] != (unsigned char)(j * 7)) {
                CHECK_MSG(0, "realloc to %zu lost byte %zu", n, j);
                break;
            }
        for (size_t j = 0; j < n; j++)
            p[j] = (unsigned char)(j * 7);
        have = n;
    }
    free(p);
    p = realloc(NULL, 50);
    CHECK_MSG(p != NULL, "realloc(NULL, 50)");
    free(p);
    /* reallocarray: overflow is ENOMEM and leaves the block alone. */
    p = reallocarray(NULL, 10, 10);
    CHECK_MSG(p != NULL, "reallocarray(NULL, 10, 10)");
    p[99] = 42;
    errno = 0;
    unsigned char *q = reallocarray(p, hide(SIZE_MAX / 4), 8);
    CHECK_MSG(q == NULL && errno == ENOMEM, "reallocarray errno %d", errno);
    if (q == NULL) { /* a failed reallocarray keeps the block */
        CHECK_MSG(p[99] == 42, "reallocarray failure touched the block");
        q = reallocarray(p, 20, 10);
        CHECK_MSG(q != NULL && q[99] == 42, "reallocarray grow");
    }
    free(q);
    errno = 0;
    p = malloc(10);
    q = realloc(p, hide(SIZE_MAX - 4096));
    CHECK_MSG(q == NULL && errno == ENOMEM, "huge realloc errno %d", errno);
    if (q == NULL)
        free(p); /* a failed realloc keeps the block */
    printf("realloc ok\n");
}

static void check_aligned(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t sizes[] = {0, 1, 8, 16, 17, 24, 100, 4096, 5000, 40000, 1 << 20};
    for (size_t a = 1; a <= ((size_t)1 << 20); a <<= 1) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t n = sizes[i];
            size_t want = a > c_align(n) ? a : c_align(n);
            void *p = memalign(a, n);
            CHECK_MSG(p != NULL && aligned(p, want), "memalign(%zu, %zu) = %p", a, n, p);
            if (p != NULL)
                memset(p, 1, n);
            free(p);
            p = aligned_alloc(a, n);
            CHECK_MSG(p != NULL && aligned(p, want), "aligned_alloc(%zu, %zu) = %p", a, n, p);
            free(p);
            if (a >= sizeof(void *)) {
                p = NULL;
                int rc = posix_memalign(&p, a, n);
                CHECK_MSG(rc == 0 && aligned(p, want), "posix_memalign(%zu, %zu) = %d %p", a, n, rc,
                          p);
                if (p != NULL)
                    memset(p, 2, n);
                free(p);
            }
        }
    }
    void *p = (void *)&p;
    CHECK_MSG(posix_memalign(&p, 24, 10) == EINVAL && p == (void *)&p, "posix_memalign(24)");
    CHECK_MSG(posix_memalign(&p, 4, 10) == EINVAL, "posix_memalign(4)");
    CHECK_MSG(posix_memalign(&p, 0, 10) == EINVAL, "posix_memalign(0)");
    errno = 0;
    CHECK_MSG(posix_memalign(&p, 64, hide(SIZE_MAX - 4096)) == ENOMEM, "posix_memalign huge");
    /* memalign rounds a bad alignment up (glibc); the block is at least that aligned. */
    p = memalign(48, 100);
    CHECK_MSG(p != NULL && aligned(p, 64), "memalign(48) = %p", p);
    free(p);
    p = valloc(100);
    CHECK_MSG(p != NULL && aligned(p, page) && malloc_usable_size(p) >= 100, "valloc = %p", p);
    free(p);
    p = pvalloc(100);
    CHECK_MSG(p != NULL && aligned(p, page) && malloc_usable_size(p) >= page, "pvalloc = %p", p);
    free(p);
    p = pvalloc(0);
    CHECK_MSG(p != NULL && aligned(p, page), "pvalloc(0) = %p", p);
    free(p);
    CHECK_MSG(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL)");
    printf("aligned ok\n");
}

/* Blocks made by one thread and freed by another, in both directions. */
#define XTHREADS 4
#define XBLOCKS  20000
static void *xblocks[XTHREADS][XBLOCKS];

static void *xthread_make(void *arg) {
    void **mine = arg;
    for (int i = 0; i < XBLOCKS; i++) {
        size_t n = (size_t)(i * 131 % 2048) + 1;
        mine[i] = malloc(n);
        memset(mine[i], i & 0xff, n);
    }
    return NULL;
}

static void *xthread_free(void *arg) {
    void **theirs = arg;
    for (int i = 0; i < XBLOCKS; i++) {
        unsigned char *p = theirs[i];
        if (p[0] != (unsigned char)(i & 0xff))
            return p;
        free(p);
    }
    return NULL;
}

static void check_cross_thread(void) {
    for (int round = 0; round < 3; round++) {
        pthread_t t[XTHREADS];
        for (int i = 0; i < XTHREADS; i++)
            pthread_create(&t[i], NULL, xthread_make, xblocks[i]);
        for (int i = 0; i < XTHREADS; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < XTHREADS; i++)
            pthread_create(&t[i], NULL, xthread_free, xblocks[(i + 1) % XTHREADS]);
        for (int i = 0; i < XTHREADS; i++) {
            void *bad;
            pthread_join(t[i], &bad);
            CHECK_MSG(bad == NULL, "cross-thread block %p corrupted", bad);
        }
    }
    printf("cross-thread ok\n");
}

/* The variant and policy in use, when a spanlab library serves this process
 * ($SPANLAB_CENTRAL is "variant" or "variant/policy"). */
static void check_identity(void) {
    const char *(*variant)(void), *(*policy)(void);
    *(void **)&variant = dlsym(RTLD_DEFAULT, "sl_variant"); /* POSIX's idiom for dlsym */
    *(void **)&policy = dlsym(RTLD_DEFAULT, "sl_policy");
    const char *want = getenv("SPANLAB_CENTRAL");
    if (variant != NULL && want != NULL) {
        size_t n = strcspn(want, "/");
        CHECK_MSG(strlen(variant()) == n && strncmp(variant(), want, n) == 0,
                  "serving variant %s, asked for %s", variant(), want);
        if (want[n] == '/')
            CHECK_MSG(policy != NULL && strcmp(policy(), want + n + 1) == 0,
                      "serving policy %s, asked for %s", policy ? policy() : "?", want);
    }
    if (getenv("LD_PRELOAD") != NULL && strstr(getenv("LD_PRELOAD"), "spanlab") != NULL)
        CHECK_MSG(variant != NULL, "LD_PRELOAD names spanlab but sl_variant is not found");
    /* cfree: glibc has only a compatibility version, which dlsym does not return; the
     * preload library defines a plain one for old binaries. */
    void (*cfree_fn)(void *);
    *(void **)&cfree_fn = dlsym(RTLD_DEFAULT, "cfree");
    if (cfree_fn != NULL)
        cfree_fn(malloc(10));
    printf("identity ok\n");
}

/* --- thread churn ------------------------------------------------------------------- */

#define CHURN_BATCH  8
#define CHURN_BLOCKS 48

struct churn {
    void *handoff[CHURN_BLOCKS]; /* freed by the main thread after the join (remote) */
};

/* A program's own thread-specific destructor: it runs after spanlab's exit-time flush
 * (its key is created later), and still allocates; that cache must be flushed too. */
static pthread_key_t churn_key;

static void churn_key_destructor(void *v) {
    free(v);
    void *late[16];
    for (int i = 0; i < 16; i++)
        late[i] = malloc((size_t)64 << (i % 8));
    for (int i = 0; i < 16; i++)
        free(late[i]);
}

static void *churn_thread(void *arg) {
    struct churn *c = arg;
    pthread_setspecific(churn_key, malloc(200));
    void *local[CHURN_BLOCKS];
    for (int i = 0; i < CHURN_BLOCKS; i++) {
        size_t n = (size_t)1 << (i % 16); /* 1 B .. 32 KiB: most size classes */
        n += (size_t)i * 3;
        local[i] = malloc(n);
        memset(local[i], 1, n < 64 ? n : 64);
        c->handoff[i] = malloc(n / 2 + 1);
    }
    for (int i = 0; i < CHURN_BLOCKS; i++)
        free(local[i]);
    return NULL;
}

static int check_threads(long nthreads) {
    struct churn c[CHURN_BATCH];
    long rss_warm = 0;
    long started = 0;
    pthread_key_create(&churn_key, churn_key_destructor);
    for (long batch = 0; started < nthreads; batch++) {
        pthread_t t[CHURN_BATCH];
        for (int i = 0; i < CHURN_BATCH; i++)
            if (pthread_create(&t[i], NULL, churn_thread, &c[i]) != 0) {
                fprintf(stderr, "pthread_create failed\n");
                return 1;
            }
        for (int i = 0; i < CHURN_BATCH; i++) {
            pthread_join(t[i], NULL);
            for (int j = 0; j < CHURN_BLOCKS; j++)
                free(c[i].handoff[j]);
        }
        started += CHURN_BATCH;
        if (started == 400)
            rss_warm = rss_kib();
    }
    long rss_end = rss_kib();
    /* Without the exit-time flush every thread strands about one span per size class it
     * touched (~0.3 MiB); 16 MiB of slack over thousands of threads is still "flat". */
    fprintf(stderr, "threads: %ld threads, RSS %ld KiB after 400, %ld KiB at the end\n", started,
            rss_warm, rss_end);
    CHECK_MSG(rss_end <= rss_warm + 16 * 1024, "RSS grew from %ld KiB to %ld KiB", rss_warm,
              rss_end);
    printf("threads ok\n");
    return check_failed != 0;
}

/* --- bad frees: each must abort ------------------------------------------------------ */

static long static_word[8];

static int bad_free(const char *mode, long *stack_word) {
    void *victim;
    if (strcmp(mode, "double-small") == 0) {
        victim = malloc(64);
        free(victim);
    } else if (strcmp(mode, "double-large") == 0) {
        victim = malloc(1 << 20);
        free(victim);
    } else if (strcmp(mode, "interior") == 0) {
        victim = (char *)malloc(64) + 8;
    } else if (strcmp(mode, "interior-large") == 0) {
        victim = (char *)malloc(1 << 20) + 4096;
    } else if (strcmp(mode, "static") == 0) {
        victim = &static_word[3];
    } else if (strcmp(mode, "stack") == 0) {
        victim = stack_word;
    } else {
        fprintf(stderr, "check: unknown mode %s\n", mode);
        return 2;
    }
    printf("%p\n", victim);
    fflush(stdout);
    free(victim);
    printf("survived\n");
    return 0;
}

/* A silent workload that frees everything it allocates: small objects of many classes,
 * half of them freed by another thread, a few large ones. */
#define LEAK_THREADS 4
#define LEAK_OBJS    4000
static void *leak_objs[LEAK_THREADS][LEAK_OBJS];

static void *leak_make(void *arg) {
    void **v = arg;
    for (unsigned i = 0; i < LEAK_OBJS; i++) {
        size_t n = i % 97 == 0 ? 40000 + i : 1 + (i * 37) % 3000;
        v[i] = malloc(n);
        CHECK_MSG(v[i] != NULL, "malloc(%zu)", n);
        memset(v[i], (int)i, n < 64 ? n : 64);
    }
    for (unsigned i = 0; i < LEAK_OBJS; i += 2) { /* the even ones here, the odd ones remote */
        free(v[i]);
        v[i] = NULL;
    }
    return NULL;
}

static void *leak_free(void *arg) {
    void **v = arg;
    for (unsigned i = 0; i < LEAK_OBJS; i++)
        free(v[i]);
    return NULL;
}

/* Under spanlab (sl_stats is found): the heap after the workload, with every thread's cache
 * flushed and free memory scavenged, must be what it was before: as many small and large
 * spans and pages in use. A span left over holds an object the allocator lost. */
static void check_leaks(void) {
    void (*stats)(struct sl_stats *);
    void (*scavenge)(void), (*thread_exit)(void);
    *(void **)&stats = dlsym(RTLD_DEFAULT, "sl_stats");
    *(void **)&scavenge = dlsym(RTLD_DEFAULT, "sl_scavenge");
    *(void **)&thread_exit = dlsym(RTLD_DEFAULT, "sl_thread_exit");
    if (!stats || !scavenge || !thread_exit)
        return; /* not under spanlab */
    struct sl_stats a, b;
    thread_exit();
    scavenge();
    stats(&a);
    pthread_t t[LEAK_THREADS];
    for (unsigned k = 0; k < LEAK_THREADS; k++)
        pthread_create(&t[k], NULL, leak_make, leak_objs[k]);
    for (unsigned k = 0; k < LEAK_THREADS; k++)
        pthread_join(t[k], NULL);
    for (unsigned k = 0; k < LEAK_THREADS; k++) /* another thread frees each one's odd half */
        pthread_create(&t[k], NULL, leak_free, leak_objs[(k + 1) % LEAK_THREADS]);
    for (unsigned k = 0; k < LEAK_THREADS; k++)
        pthread_join(t[k], NULL);
    thread_exit();
    scavenge();
    stats(&b);
    CHECK_MSG(
        b.spans_small <= a.spans_small && b.spans_large <= a.spans_large &&
            b.heap_inuse <= a.heap_inuse,
        "after a workload that freed everything: %zu small spans (%zu before), %zu large (%zu), "
        "%zu bytes in use (%zu)",
        b.spans_small, a.spans_small, b.spans_large, a.spans_large, b.heap_inuse, a.heap_inuse);
    fprintf(stderr, "leaks: %zu small spans, %zu large, %zu KiB in use before and after\n",
            b.spans_small, b.spans_large, b.heap_inuse >> 10);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "api";
    if (strcmp(mode, "api") == 0) {
        check_plain();
        check_calloc();
        check_realloc();
        check_aligned();
        check_cross_thread();
        check_identity();
        check_leaks();
        return check_failed != 0;
    }
    if (strcmp(mode, "threads") == 0)
        return check_threads(argc > 2 ? atol(argv[2]) : 4000);
    long word = 0;
    return bad_free(mode, &word);
}
