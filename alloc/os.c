/* mmap, madvise and the metadata bump allocator. Neighbours: mheap.c (heap memory, and
 * the pages metadata falls back to when the OS refuses a mapping), everything that needs
 * persistent metadata. The failure points of fault.h are here: each of the two allocation
 * calls as a whole (nothing left anywhere), and each time a metadata chunk must be mapped
 * (the OS refuses, and the fallback to heap pages gets its turn). How many mmaps a reservation
 * makes depends on where the kernel puts things, so those are not separate points. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "atomic.h"
#include "fault.h"
#include "os.h"

/* mheap.c: zeroed pages of the heap, kept for metadata, when mmap is refused. */
void *sl_mheap_meta_fallback(size_t need, size_t want, size_t *got);

#define META_CHUNK ((size_t)4 << 20)
#define META_MIN   ((size_t)64 << 10) /* smallest chunk tried when 4 MiB is refused */
#define META_HEAP  ((size_t)1 << 20)  /* chunk taken from the heap when mmap is refused */

static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t meta_cur; /* next free byte; under meta_lock */
static uintptr_t meta_end; /* end of the current chunk; under meta_lock */
static size_t meta_mapped; /* under meta_lock */

static void *map_at(void *hint, size_t size) {
    void *p = mmap(hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* An aligned reservation costs only `size` of address space when it can: a plain mapping
 * that happens to be aligned, else the aligned address just below it (mmap hands out
 * addresses top-down, so that is usually free). Only then the classic over-map of
 * size + align and trim, which needs twice the space for a moment and is the first thing an
 * address-space limit refuses. */
void *sl_os_reserve(size_t size, size_t align) {
    if (sl_fault_point())
        return NULL;
    if (size + align < size)
        return NULL;
    uintptr_t mask = (uintptr_t)align - 1;
    void *p = map_at(NULL, size);
    if (p && ((uintptr_t)p & mask) == 0)
        return p;
    if (p) {
        munmap(p, size);
        void *want = (void *)((uintptr_t)p & ~mask);
        void *q = map_at(want, size);
        if (q == want)
            return q;
        if (q)
            munmap(q, size);
    }
    size_t span = size + align;
    p = map_at(NULL, span);
    if (!p)
        return NULL;
    uintptr_t start = (uintptr_t)p;
    uintptr_t aligned = (start + mask) & ~mask;
    if (aligned > start)
        munmap(p, aligned - start);
    uintptr_t end = start + span;
    if (end > aligned + size)
        munmap((void *)(aligned + size), end - (aligned + size));
    return (void *)aligned;
}

void sl_os_unreserve(void *p, size_t size) {
    munmap(p, size);
}

void sl_os_release(void *p, size_t size) {
    madvise(p, size, MADV_DONTNEED);
}

static void *map_meta(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void *sl_os_meta_alloc(size_t size) {
    if (sl_fault_point())
        return NULL;
    size = (size + 63) & ~(size_t)63;
    pthread_mutex_lock(&meta_lock);
    if (meta_cur + size > meta_end) {
        size_t chunk = size > META_CHUNK ? size : META_CHUNK;
        bool refused = sl_fault_point(); /* the OS refuses metadata mappings this time */
        void *p = refused ? NULL : map_meta(chunk);
        if (!p && !refused && chunk > size) {
            /* Under an address-space limit: a chunk just big enough (the rest of the
             * current chunk is given up either way). */
            chunk = size > META_MIN ? (size + META_MIN - 1) & ~(META_MIN - 1) : META_MIN;
            p = map_meta(chunk);
        }
        if (p) {
            meta_mapped += chunk;
        } else {
            /* The limit is spent, most likely on heap reservations: take free heap pages
             * for good. Without the lock (heap_lock comes first); a chunk installed
             * meanwhile by another thread is given up. */
            pthread_mutex_unlock(&meta_lock);
            p = sl_mheap_meta_fallback(size, size > META_HEAP ? size : META_HEAP, &chunk);
            if (!p)
                return NULL;
            pthread_mutex_lock(&meta_lock);
        }
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

void sl_os_start_thread_once(_Atomic int *started, void *(*fn)(void *)) {
    if (sl_load_relaxed(started))
        return;
    int expected = 0;
    if (!sl_cas_relaxed(started, &expected, 1))
        return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 << 10);
    if (pthread_create(&t, &attr, fn, NULL) != 0)
        sl_store_relaxed(started, 0);
    pthread_attr_destroy(&attr);
}
