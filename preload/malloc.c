/* The malloc family of libspanlab-preload.so: thin wrappers that make spanlab the malloc of
 * unmodified programs. They add what C promises and Go's size classes do not (16-byte
 * alignment for requests of 16 bytes or more) and glibc's answers to the corner cases
 * (realloc(p, 0), memalign's rounding, pvalloc, overflow checks). Everything else, and all
 * bad-free reporting, is spanlab's own public API (alloc/spanlab.h).
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "preload.h"
#include "spanlab.h"

/* C's fundamental alignment on x86-64 (alignof(max_align_t)); glibc's MALLOC_ALIGNMENT. */
#define PRELOAD_C_ALIGN 16

/* Go's 8- and 24-byte classes are the only ones that are not multiples of 16, and every
 * span starts on a page, so every other class hands out 16-byte aligned objects. A request
 * of 17..24 bytes would land in the 24-byte class: send it to the 32-byte class instead.
 * Requests under 16 bytes keep Go's classes (an 8-byte object needs only 8-byte alignment).
 */
static inline size_t preload_c_size(size_t size) {
    return size - 17 < 8 ? 32 : size;
}

static inline bool preload_pow2(size_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

static size_t preload_page_size(void) {
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

/* align is a power of two. */
static void *preload_aligned(size_t align, size_t size) {
    if (align <= PRELOAD_C_ALIGN / 2)
        return sl_malloc(preload_c_size(size));
    if (align == PRELOAD_C_ALIGN)
        return sl_malloc(size < PRELOAD_C_ALIGN ? PRELOAD_C_ALIGN : preload_c_size(size));
    return sl_aligned_alloc(align, size);
}

void *malloc(size_t size) {
    return sl_malloc(preload_c_size(size));
}

void free(void *p) {
    sl_free(p);
}

void cfree(void *p) {
    sl_free(p);
}

void *calloc(size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return sl_calloc(1, preload_c_size(total));
}

void *realloc(void *p, size_t size) {
    if (p == NULL)
        return sl_malloc(preload_c_size(size));
    if (size == 0) { /* glibc: realloc(p, 0) frees p and returns NULL */
        sl_free(p);
        return NULL;
    }
    return sl_realloc(p, preload_c_size(size));
}

void *reallocarray(void *p, size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

/* glibc: an alignment that is not a power of two is rounded up to the next one. */
void *memalign(size_t align, size_t size) {
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    size_t a = 1;
    while (a < align)
        a <<= 1;
    return preload_aligned(a, size);
}

/* C17 7.22.3.1 and glibc >= 2.38: an unsupported alignment fails with EINVAL. */
void *aligned_alloc(size_t align, size_t size) {
    if (!preload_pow2(align)) {
        errno = EINVAL;
        return NULL;
    }
    return preload_aligned(align, size);
}

int posix_memalign(void **out, size_t align, size_t size) {
    if (!preload_pow2(align) || align % sizeof(void *) != 0)
        return EINVAL;
    int saved = errno; /* POSIX: reports through the return value, errno untouched */
    void *p = preload_aligned(align, size);
    errno = saved;
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size) {
    return preload_aligned(preload_page_size(), size);
}

void *pvalloc(size_t size) {
    size_t page = preload_page_size();
    if (size > SIZE_MAX - page) {
        errno = ENOMEM;
        return NULL;
    }
    size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
    return preload_aligned(page, rounded);
}

size_t malloc_usable_size(void *p) {
    return p == NULL ? 0 : sl_usable_size(p);
}

/* Not one of the required entry points, but a program that calls it wants memory given
 * back; glibc's own would only trim glibc's unused arena. */
int malloc_trim(size_t pad) {
    (void)pad;
    sl_scavenge();
    return 1;
}
