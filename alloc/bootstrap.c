/* The bootstrap arena: a static 256 KiB that serves the allocations the initialising
 * thread makes *during* initialisation (a dependency calling malloc), which no mcache can
 * serve yet. init.c's sl_init_gate decides when it serves; its blocks are never reused
 * (free ignores them, realloc moves them out: malloc.c). */
#include <errno.h>
#include <string.h>

#include "malloc_internal.h"

#define BOOTSTRAP_SIZE ((size_t)256 << 10)
static _Alignas(4096) unsigned char bootstrap[BOOTSTRAP_SIZE];
static size_t bootstrap_used; /* only the initialising thread: under init.c's init_lock */

void *sl_bootstrap_alloc(size_t size, size_t align) {
    if (align < 16)
        align = 16;
    size_t start = (bootstrap_used + 16 + align - 1) & ~(align - 1);
    if (size > BOOTSTRAP_SIZE || align > BOOTSTRAP_SIZE || start + size > BOOTSTRAP_SIZE) {
        errno = ENOMEM; /* the caller (a dependency of initialisation) sees malloc fail */
        return NULL;
    }
    memcpy(&bootstrap[start - sizeof(size_t)], &size, sizeof size);
    bootstrap_used = start + size;
    return &bootstrap[start];
}

bool sl_bootstrap_owns(const void *p) {
    return (const unsigned char *)p >= bootstrap &&
           (const unsigned char *)p < bootstrap + BOOTSTRAP_SIZE;
}

size_t sl_bootstrap_usable(const void *p) {
    size_t size;
    memcpy(&size, (const unsigned char *)p - sizeof(size_t), sizeof size);
    return size;
}
