/* mmap, madvise and the metadata bump allocator. Neighbours: mheap.c (heap memory),
 * everything that needs persistent metadata. */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "os.h"

#define META_CHUNK ((size_t)4 << 20)

static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t meta_cur; /* next free byte; under meta_lock */
static uintptr_t meta_end; /* end of the current chunk; under meta_lock */
static size_t meta_mapped; /* under meta_lock */

void *sl_os_reserve(size_t size, size_t align) {
    size_t span = size + align;
    if (span < size)
        return NULL;
    void *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t start = (uintptr_t)p;
    uintptr_t aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
    if (aligned > start)
        munmap(p, aligned - start);
    uintptr_t end = start + span;
    if (end > aligned + size)
        munmap((void *)(aligned + size), end - (aligned + size));
    return (void *)aligned;
}

void sl_os_release(void *p, size_t size) {
    madvise(p, size, MADV_DONTNEED);
}

void *sl_os_meta_alloc(size_t size) {
    size = (size + 63) & ~(size_t)63;
    pthread_mutex_lock(&meta_lock);
    if (meta_cur + size > meta_end) {
        size_t chunk = size > META_CHUNK ? size : META_CHUNK;
        void *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            pthread_mutex_unlock(&meta_lock);
            return NULL;
        }
        meta_mapped += chunk;
        if (size > META_CHUNK) { /* a big table: its own mapping, keep the current chunk */
            pthread_mutex_unlock(&meta_lock);
            return p;
        }
        meta_cur = (uintptr_t)p;
        meta_end = meta_cur + chunk;
    }
    void *r = (void *)meta_cur;
    meta_cur += size;
    pthread_mutex_unlock(&meta_lock);
    return r;
}

size_t sl_os_meta_mapped(void) {
    pthread_mutex_lock(&meta_lock);
    size_t n = meta_mapped;
    pthread_mutex_unlock(&meta_lock);
    return n;
}

void sl_os_atfork_prepare(void) {
    pthread_mutex_lock(&meta_lock);
}

void sl_os_atfork_parent(void) {
    pthread_mutex_unlock(&meta_lock);
}

void sl_os_atfork_child(void) {
    pthread_mutex_init(&meta_lock, NULL);
}
