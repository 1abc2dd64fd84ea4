/* Out of memory under an address-space limit, for one variant under every span-return
 * policy: `test_limit <variant>`.
 * A child process sets RLIMIT_AS to what it maps now plus a headroom, then twice:
 * allocates ~1 MiB objects until malloc answers NULL, checks and frees them, then small
 * "strings" (33..80 bytes) until NULL, checks and frees them; every NULL must come with
 * errno = ENOMEM.
 * Asserts:
 *   - the first round's large objects fill most of the headroom (the heap falls back to
 *     smaller reservations when a 64 MiB one is refused, and never needs twice the space
 *     for an aligned one);
 *   - after everything is freed, the second round gets about as much again: nothing
 *     leaked, nothing half-linked (the metadata the first round made stays, so "about");
 *   - the heap is consistent and empty at the end (sl_mheap_verify, sl_stats).
 * Sizes: SL_LIMIT_MIB (192) is the headroom.
 * Not run in sanitizer builds: their shadow memory lives in the same address space.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mheap.h"
#include "policy.h"
#include "spanlab.h"

#define LARGE_SIZE (((size_t)1 << 20) + 100) /* a 1 MiB Python bytes object and its header */

struct report {
    size_t large[2], small[2];
    size_t headroom;
    struct sl_stats st;
    int done;
    char failure[512];
};

static struct report *rep;

/* A failed REQUIRE in the child: its line goes to the parent through the report. */
static void record_failure(const char *line) {
    snprintf(rep->failure, sizeof rep->failure, "%s", line);
}

/* Objects form a list through their first word; the rest of a small object and 64 bytes at
 * each end of a large one carry a pattern derived from the address. */
struct node {
    struct node *next;
    size_t size;
};

static unsigned char pat(const void *base, size_t i) {
    uintptr_t a = (uintptr_t)base;
    return (unsigned char)((a >> 4) ^ (a >> 13) ^ (i * 31u));
}

/* The two byte ranges a pattern covers: [16, 64) and the last 64 bytes, minus the header. */
static size_t tail_start(size_t size) {
    size_t t = size > 64 ? size - 64 : 64;
    return t < sizeof(struct node) ? sizeof(struct node) : t;
}

static void fill(struct node *n, size_t size) {
    unsigned char *p = (unsigned char *)n;
    size_t head = size < 64 ? size : 64;
    for (size_t i = sizeof *n; i < head; i++)
        p[i] = pat(n, i);
    for (size_t i = tail_start(size); i < size; i++)
        p[i] = pat(n, i);
    n->size = size;
}

static void verify(const struct node *n) {
    const unsigned char *p = (const unsigned char *)n;
    size_t size = n->size, head = size < 64 ? size : 64;
    for (size_t i = sizeof *n; i < head; i++)
        REQUIRE(p[i] == pat(n, i), "payload of %zu-byte object %p corrupted at %zu", size,
                (const void *)n, i);
    for (size_t i = tail_start(size); i < size; i++)
        REQUIRE(p[i] == pat(n, i), "payload of %zu-byte object %p corrupted at %zu", size,
                (const void *)n, i);
}

/* Allocate objects of size(i) until NULL; returns how many. */
static size_t fill_until_null(struct node **list, bool large) {
    size_t count = 0;
    for (;;) {
        size_t size = large ? LARGE_SIZE : 33 + count % 48;
        errno = 0;
        struct node *n = sl_malloc(size);
        if (!n) {
            REQUIRE(errno == ENOMEM, "malloc(%zu) answered NULL with errno %d, not ENOMEM", size,
                    errno);
            return count;
        }
        fill(n, size);
        n->next = *list;
        *list = n;
        count++;
    }
}

static void free_list(struct node **list) {
    while (*list) {
        struct node *n = *list;
        verify(n);
        *list = n->next;
        sl_free(n);
    }
}

static size_t mapped_now(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    REQUIRE(f && fscanf(f, "%lu", &pages) == 1, "cannot read /proc/self/statm");
    fclose(f);
    return pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void child(const char *variant, size_t headroom) {
    check_on_fail = record_failure;
    /* Before spanlab maps anything: its first arena counts against the headroom. */
    size_t base = mapped_now();
    REQUIRE(sl_init(variant) == 0, "sl_init(%s)", variant);
    void *warm = sl_malloc(100);
    REQUIRE(warm, "first malloc");
    struct rlimit rl = {base + headroom, base + headroom};
    REQUIRE(setrlimit(RLIMIT_AS, &rl) == 0, "setrlimit");
    rep->headroom = headroom;
    for (int round = 0; round < 2; round++) {
        struct node *large = NULL, *small = NULL;
        rep->large[round] = fill_until_null(&large, true);
        free_list(&large);
        rep->small[round] = fill_until_null(&small, false);
        free_list(&small);
    }
    sl_free(warm);
    sl_thread_exit();
    sl_scavenge();
    const char *why = sl_mheap_verify();
    REQUIRE(!why, "heap: %s", why);
    sl_stats(&rep->st);
    REQUIRE(rep->st.heap_inuse == 0 && rep->st.spans_small == 0 && rep->st.spans_large == 0,
            "leak: %zu bytes in use, %zu small spans, %zu large spans after freeing everything",
            rep->st.heap_inuse, rep->st.spans_small, rep->st.spans_large);
    rep->done = 1;
    _exit(0);
}

/* One variant/policy pair in a child; returns 1 on failure. */
static int limit_test(const char *variant, size_t headroom) {
    memset(rep, 0, sizeof *rep);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        child(variant, headroom);
    int status;
    waitpid(pid, &status, 0);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0 && rep->done)) {
        printf("test_limit %s: FAIL: %s\n", variant,
               rep->failure[0]       ? rep->failure
               : WIFSIGNALED(status) ? "killed by a signal"
                                     : "child failed");
        return 1;
    }
    size_t mib = headroom >> 20;
    printf("test_limit %s: headroom %zu MiB: round 1: %zu objects of 1 MiB, then %zu small; "
           "round 2: %zu, then %zu; %zu reservations (%zu reduced), %zu MiB of heap kept as "
           "metadata, %llu NULL answers\n",
           variant, mib, rep->large[0], rep->small[0], rep->large[1], rep->small[1],
           rep->st.reservations, rep->st.reservations_reduced, rep->st.heap_meta >> 20,
           (unsigned long long)rep->st.enomem);
    int failed = 0;
    /* At least 80% of the headroom in 1 MiB objects: without reduced reservations a 192 MiB
     * headroom gives two 64 MiB arenas at best (66%). */
    if (rep->large[0] * 10 < mib * 8) {
        printf("test_limit %s: FAIL: %zu MiB objects in %zu MiB of headroom (want >= 80%%)\n",
               variant, rep->large[0], mib);
        failed = 1;
    }
    /* The second round reuses everything the first freed. Only the metadata the first
     * round made stays: span descriptors are never unmapped, and once the limit refused
     * mmap they live in heap pages (heap_meta). So: as many large objects less what that
     * metadata covers (and one per reservation for the runs it splits), as many small. */
    size_t meta_mib = (rep->st.heap_meta + ((size_t)1 << 20) - 1) >> 20;
    if (rep->large[1] + meta_mib + rep->st.reservations < rep->large[0] ||
        rep->small[1] * 100 < rep->small[0] * 99) {
        printf("test_limit %s: FAIL: the second round got less than the first (less what the "
               "metadata kept covers)\n",
               variant);
        failed = 1;
    }
    /* Small objects reuse the pages the large ones left: at least 60% of the headroom in
     * payload bytes (objects average 56.5 bytes in size classes of 48..80). */
    if (rep->small[0] * 565 / 10 < (headroom / 10) * 6) {
        printf("test_limit %s: FAIL: %zu small objects in %zu MiB of headroom (want >= 60%% in "
               "payload)\n",
               variant, rep->small[0], mib);
        failed = 1;
    }
    return failed;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_limit VARIANT\n");
        return 2;
    }
    setenv("SPANLAB_SCAVENGE_MS", "0", 1);
    const char *e = getenv("SL_LIMIT_MIB");
    size_t headroom = (size_t)(e && *e ? strtoul(e, NULL, 10) : 192) << 20;
    rep = mmap(NULL, sizeof *rep, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rep == MAP_FAILED)
        return 2;
    int failed = 0;
    /* The registry needs no initialisation: this process never allocates from spanlab. */
    for (const sl_policy_t *const *p = sl_policy_list(); *p; p++) {
        char name[128];
        snprintf(name, sizeof name, "%s/%s", argv[1], (*p)->name);
        failed |= limit_test(name, headroom);
    }
    return failed;
}
