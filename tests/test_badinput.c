/* Bad input (DESIGN §7): each misuse runs in a child process; the test asserts the one
 * line the allocator prints (naming the pointer) and that the child died of SIGABRT. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>

#include "check.h"
#include "spanlab.h"

#include <sys/mman.h>

static char msg[1024];
static char *ptrtext; /* MAP_SHARED: the child writes the pointer it misuses */

static void note_ptr(const void *p) {
    snprintf(ptrtext, 64, "%p", p);
}

struct child_fn {
    void (*fn)(void);
};

static int call_fn(void *arg) {
    ((struct child_fn *)arg)->fn();
    return 0;
}

/* Runs fn in a child with stderr captured in msg; returns the wait status. */
static int run_child(void (*fn)(void)) {
    struct child_fn box = {fn};
    return check_child(call_fn, &box, msg, sizeof msg);
}

static void expect_abort(const char *name, void (*fn)(void), const char *words) {
    ptrtext[0] = '\0';
    int status = run_child(fn);
    int aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    int named = ptrtext[0] != '\0' && strstr(msg, ptrtext) != NULL;
    int lines = check_lines(msg);
    CHECK_MSG(aborted, "%s: child did not abort (status %#x)", name, status);
    CHECK_MSG(strstr(msg, "spanlab: ") && strstr(msg, words), "%s: message '%s' lacks '%s'", name,
              msg, words);
    CHECK_MSG(named, "%s: message '%s' does not name %s", name, msg, ptrtext);
    CHECK_MSG(lines == 1, "%s: %d lines", name, lines);
    printf("  %-28s -> %s", name, msg);
}

static void *remote_ptr;
static void *remote_free(void *arg) {
    (void)arg;
    sl_free(remote_ptr);
    return NULL;
}

static void c_foreign(void) {
    static int x;
    note_ptr(&x);
    sl_free(&x);
}
static void c_interior(void) {
    char *p = sl_malloc(64);
    note_ptr(p + 8);
    sl_free(p + 8);
}
/* A pointer into an arena's header (the page -> span table: metadata, no span). */
static void c_arena_header(void) {
    char *p = sl_malloc(64);
    char *hdr = (char *)((uintptr_t)p & ~(uintptr_t)((1u << 26) - 1)) + 64;
    note_ptr(hdr);
    sl_free(hdr);
}
static void c_interior_large(void) {
    char *p = sl_malloc(100000);
    note_ptr(p + 4096);
    sl_free(p + 4096);
}
static void c_double_local(void) {
    void *p = sl_malloc(48);
    note_ptr(p);
    sl_free(p);
    sl_free(p);
}
static void c_double_remote(void) {
    remote_ptr = sl_malloc(48);
    note_ptr(remote_ptr);
    pthread_t t;
    pthread_create(&t, NULL, remote_free, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, remote_free, NULL);
    pthread_join(t, NULL);
}
/* A span filled to the end parks; the first free into it unparks it (eager: to the
 * mcentral; home: back onto this thread's home list, after which frees into it are
 * owner-local); the second free of the same object must still abort, at once or when the
 * span is next swept (forced by allocating on). */
static void c_double_parked(void) {
    static void *p[1200];
    for (unsigned i = 0; i < 600; i++)
        p[i] = sl_malloc(48);
    note_ptr(p[0]);
    sl_free(p[0]);
    sl_free(p[0]);
    for (unsigned i = 600; i < 1200; i++)
        p[i] = sl_malloc(48);
}
static void c_double_large(void) {
    void *p = sl_malloc(1 << 20);
    note_ptr(p);
    sl_free(p);
    sl_free(p);
}
static void c_double_tiny(void) {
    char *p = sl_malloc_noscan(5);
    note_ptr(p);
    sl_malloc_noscan(3);
    sl_free(p);
    sl_free(p);
}
static void c_double_after_sweep(void) {
    /* Freed, swept (slot reclaimed), then freed again by another thread: caught at the
     * next sweep of the span. */
    void *p = sl_malloc(2048);
    note_ptr(p);
    sl_free(p);
    for (int i = 0; i < 10; i++)
        sl_malloc(2048); /* refill: the span is swept, p's slot is free again */
    sl_thread_exit();    /* span back in the mcentral */
    remote_ptr = p;
    pthread_t t;
    pthread_create(&t, NULL, remote_free, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, remote_free, NULL); /* the second remote free of a free slot */
    pthread_join(t, NULL);
}

/* The sweep's own check (span.c:sl_span_sweep), which no free-time check can make first:
 * one remote free of a slot that is already free (swept back) passes free_remote, whose
 * bit was clear; the next sweep of the span must find it. The allocations afterwards
 * take every partial span of the class from the mcentral, p's too, and sweep it. */
static void c_remote_free_of_swept_slot(void) {
    sl_malloc(2048); /* keeps the span partial: it stays in the mcentral */
    void *p = sl_malloc(2048);
    note_ptr(p);
    sl_free(p);       /* local free */
    sl_thread_exit(); /* uncache sweeps: p's slot is free, the span goes to the mcentral */
    remote_ptr = p;
    pthread_t t;
    pthread_create(&t, NULL, remote_free, NULL); /* passes: the free bit was clear */
    pthread_join(t, NULL);
    for (int i = 0; i < 100000; i++)
        sl_malloc(2048); /* caching p's span sweeps it: abort */
}

/* The same object freed by its owner and by another thread before the span is swept: the
 * owner's local free and the remote bit are both set; only the sweep sees both. */
static void c_local_and_remote_free(void) {
    void *p = sl_malloc(2048);
    sl_malloc(2048); /* the span keeps a live object */
    note_ptr(p);
    sl_free(p); /* local: the span is this thread's cached span */
    remote_ptr = p;
    pthread_t t;
    pthread_create(&t, NULL, remote_free, NULL); /* remote: its bit was clear */
    pthread_join(t, NULL);
    sl_thread_exit(); /* uncache sweeps the span */
    for (int i = 0; i < 100000; i++)
        sl_malloc(2048);
}

static void c_free_of_free_slot(void) {
    /* One remote free of a slot that is already free (its first free was swept in): the
     * atomic OR cannot see it (the bit was clear); the next sweep of the span does. Under
     * sweep that is the next cycle's: sl_scavenge forces one. A neighbour stays allocated
     * so the span is not given back to the mheap. */
    sl_malloc(2048);
    void *p = sl_malloc(2048);
    sl_malloc(2048);
    note_ptr(p);
    sl_free(p);       /* owner-local */
    sl_thread_exit(); /* the span is swept into the mcentral: p's slot is free */
    remote_ptr = p;
    pthread_t t;
    pthread_create(&t, NULL, remote_free, NULL);
    pthread_join(t, NULL);
    sl_scavenge();
}
static void c_double_full_span(void) {
    /* Both frees pending in a span nobody owns (a full span: parked, or under sweep waiting
     * in the full set for the next cycle): the second OR finds the first's bit. */
    static void *p[8];
    for (unsigned i = 0; i < 8; i++)
        p[i] = sl_malloc(1024);
    sl_malloc(1024); /* p's span is full and given back */
    remote_ptr = p[3];
    note_ptr(p[3]);
    pthread_t t;
    pthread_create(&t, NULL, remote_free, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, remote_free, NULL);
    pthread_join(t, NULL);
}

static int foreign_target;
static void c_foreign2(void) {
    note_ptr(&foreign_target);
    sl_free(&foreign_target);
}

int main(void) {
    /* An unknown policy (or variant) fails initialisation, which may then be retried. */
    CHECK(sl_init("mutex/no-such-policy") == -EINVAL);
    CHECK(sl_init("no-such-variant/eager") == -EINVAL);
    /* The sweep policy's settings: a bad value fails initialisation with one line. */
    const char *bad[][2] = {{"SPANLAB_GOGC", "abc"},  {"SPANLAB_GOGC", "0"},
                            {"SPANLAB_GOGC", "-5"},   {"SPANLAB_GOGC", "100001"},
                            {"SPANLAB_SWEEPER", "2"}, {"SPANLAB_SWEEPER", "yes"}};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv(bad[i][0], bad[i][1], 1);
        CHECK_MSG(sl_init("mutex/sweep") == -EINVAL, "%s=%s accepted", bad[i][0], bad[i][1]);
        unsetenv(bad[i][0]);
    }
    CHECK(sl_init(NULL) == 0);
    ptrtext = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    /* Defined behaviour first. */
    sl_free(NULL);
    void *z1 = sl_malloc(0), *z2 = sl_malloc(0);
    CHECK(z1 && z2 && z1 != z2);
    sl_free(z1);
    sl_free(z2);
    errno = 0;
    CHECK(sl_malloc(SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(sl_malloc((size_t)1 << 60) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(sl_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(sl_calloc((size_t)1 << 33, (size_t)1 << 33) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(sl_aligned_alloc(3, 10) == NULL && errno == EINVAL);
    void *ap = NULL;
    CHECK(sl_posix_memalign(&ap, 3, 10) == EINVAL);
    char *r = sl_malloc(10);
    memcpy(r, "spanlab!!", 10);
    r = sl_realloc(r, 5000);
    CHECK(r && memcmp(r, "spanlab!!", 10) == 0);
    r = sl_realloc(r, 200000);
    CHECK(r && memcmp(r, "spanlab!!", 10) == 0);
    r = sl_realloc(r, 3);
    CHECK(r && memcmp(r, "spa", 3) == 0);
    CHECK(sl_realloc(r, 0) == NULL); /* frees */
    for (size_t al = 16; al <= ((size_t)1 << 20); al <<= 1) {
        void *p = sl_aligned_alloc(al, 100);
        CHECK_MSG(p && ((uintptr_t)p & (al - 1)) == 0, "aligned_alloc(%zu)", al);
        sl_free(p);
    }
    CHECK(sl_init("no-such-variant") < 0);

    printf("bad input, each in a child process:\n");
    expect_abort("foreign pointer", c_foreign2, "invalid free");
    expect_abort("static object", c_foreign, "not a pointer from spanlab");
    expect_abort("interior pointer", c_interior, "interior pointer");
    expect_abort("arena header", c_arena_header, "not a pointer from spanlab");
    expect_abort("interior of large", c_interior_large, "interior pointer");
    expect_abort("double free (owner)", c_double_local, "double free");
    expect_abort("double free (remote)", c_double_remote, "double free");
    expect_abort("double free (large)", c_double_large, "double free");
    expect_abort("double free (tiny)", c_double_tiny, "double free");
    expect_abort("double free (after sweep)", c_double_after_sweep, "double free");
    expect_abort("remote free of a swept slot", c_remote_free_of_swept_slot,
                 "found when its span was swept");
    expect_abort("local and remote free", c_local_and_remote_free, "found when its span was swept");
    expect_abort("double free (parked span)", c_double_parked, "double free");
    expect_abort("free of a free slot", c_free_of_free_slot, "found when its span was swept");
    expect_abort("double free (full span)", c_double_full_span, "double free");
    printf("(policy %s)\n", sl_policy());
    return check_done("badinput");
}
