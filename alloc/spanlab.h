/* spanlab public API: a Go-style allocator (mcache -> mcentral -> mheap -> OS) whose
 * mcentral is pluggable. Outside programs compile against this header only.
 */
#ifndef SPANLAB_H
#define SPANLAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Counters of one mcentral (one span class) or their sum over all classes. */
struct sl_central_counters {
    uint64_t cache_calls;         /* spans an mcache took from the mcentral */
    uint64_t uncache_calls;       /* spans an mcache gave back to the mcentral */
    uint64_t put_available_calls; /* parked spans made available again by a free */
    uint64_t spans_grown;         /* spans taken from the mheap */
    uint64_t spans_returned;      /* all-free spans given back to the mheap */
    uint64_t spans_available;     /* now in the mcentral's span sets */
    uint64_t spans_parked;        /* now parked (full, waiting for a free) */
    uint64_t spans_cached;        /* now owned by an mcache */
    uint64_t lock_waits;          /* lock acquisitions whose try-lock failed first */
    uint64_t cas_retries;         /* failed CAS attempts in the variant */
    uint64_t grace_periods;       /* RCU / epoch grace periods the mcentral path waited for */
    uint64_t grace_periods_bg;    /* grace periods completed in the background */
    uint64_t local_frees;         /* frees into a span the thread owned: no atomics */
    uint64_t remote_frees;        /* frees through a span's atomic free bitmap */
    uint64_t home_returns;        /* parked spans taken back by their home thread (home) */
    uint64_t spills;              /* spans a home list had no room for, sent to the mcentral */
    uint64_t sweep_cycles;        /* sweep generations started (sweep policy; all classes) */
    uint64_t swept_alloc;         /* unswept spans swept on the allocation path (sweep) */
    uint64_t swept_bg;            /* unswept spans swept by the background sweeper (sweep) */
    uint64_t sweep_reclaimed;     /* objects those sweeps reclaimed (per swept span: divide) */
    uint64_t cache_slots;         /* free slots of the spans cache calls handed out */
    uint64_t flushes;             /* uncache calls of a span before it was exhausted */
    uint64_t adoptions;           /* parked spans of other threads a freeing thread took (home) */
};

struct sl_stats {
    size_t heap_mapped;                 /* bytes of address space reserved for arenas */
    size_t heap_inuse;                  /* bytes of pages owned by spans (small and large) */
    size_t heap_free;                   /* bytes of free pages still backed by memory */
    size_t heap_released;               /* bytes of free pages returned to the OS (scavenged) */
    size_t heap_meta;                   /* bytes of heap pages kept as metadata (mmap refused) */
    size_t spans_small;                 /* small-object spans in existence */
    size_t spans_large;                 /* large-object spans in existence */
    size_t large_inuse;                 /* bytes in large objects (whole pages) */
    uint64_t scavenges;                 /* scavenger passes that released memory */
    uint64_t scav_releases;             /* madvise calls, each returning one run of pages */
    uint64_t scav_pages_released;       /* 8 KiB pages returned to the OS, in total */
    uint64_t scav_pages_refaulted;      /* released pages handed out again (they fault in) */
    uint64_t scav_decay_ms;             /* the decay time in force (stretched after refaults) */
    size_t reservations;                /* address-space reservations made for the heap */
    size_t reservations_reduced;        /* of which smaller than asked (a limit refused more) */
    uint64_t enomem;                    /* allocations answered NULL + ENOMEM: out of memory */
    struct sl_central_counters central; /* summed over every span class */
};

void *sl_malloc(size_t size);
void *sl_malloc_noscan(size_t size); /* pointer-free object: noscan span class; < 16 B tiny */
void sl_free(void *p);
void *sl_calloc(size_t n, size_t size);
void *sl_realloc(void *p, size_t size);
void *sl_aligned_alloc(size_t align, size_t size);
int sl_posix_memalign(void **out, size_t align, size_t size);
size_t sl_usable_size(const void *p);
/* variant: "name" or "name/policy"; NULL = $SPANLAB_CENTRAL or "mutex". The policy
 * defaults to $SPANLAB_POLICY, then the built-in default. -EINVAL if either is unknown. */
int sl_init(const char *variant);
const char *sl_variant(void);
const char *sl_policy(void); /* the span-return policy's name */
void sl_thread_exit(void);   /* optional early flush of this thread's cache */
void sl_scavenge(void);      /* return all free pages to the OS now */
void sl_stats(struct sl_stats *out);

#ifdef __cplusplus
}
#endif

#endif
