/* The OS layer: the only file that calls mmap/madvise. Heap memory comes in aligned
 * reservations; metadata (span descriptors, caches, bitmaps) from a persistent bump
 * allocator that never unmaps, which is what makes span descriptors type-stable.
 */
#ifndef SL_OS_H
#define SL_OS_H

#include <stddef.h>

/* Reserve size bytes aligned to align (a power of two), readable and writable, backed
 * lazily. NULL if the OS refuses (errno = ENOMEM). A failure point (fault.h). */
void *sl_os_reserve(size_t size, size_t align);

/* Undo a reservation that could not be put to use. */
void sl_os_unreserve(void *p, size_t size);

/* Give the physical pages of [p, p+size) back; the range stays mapped and reads as zero. */
void sl_os_release(void *p, size_t size);

/* Zeroed persistent metadata, 64-byte aligned; never freed. When the OS refuses a mapping
 * (an address-space limit the heap's reservations have used up), free pages of the heap
 * become metadata for good. NULL only when neither has room (errno = ENOMEM). A failure
 * point (fault.h). */
void *sl_os_meta_alloc(size_t size);

/* Bytes of metadata mapped so far. */
size_t sl_os_meta_mapped(void);

/* fork(): the metadata lock. */
void sl_os_atfork_prepare(void);
void sl_os_atfork_parent(void);
void sl_os_atfork_child(void);

/* Start fn in a detached thread with a 64 KiB stack, once per *started: the first caller
 * to move it 0 -> 1 creates the thread; if the OS refuses, *started goes back to 0 so that
 * a later call tries again. The background threads (scavenger, sweeper, rcu reclaimer). */
void sl_os_start_thread_once(_Atomic int *started, void *(*fn)(void *));

#endif
