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

/* Every counter of an mcentral, listed once: SL_CENTRAL_COUNTERS(X) calls X(name, kind) for
 * each, and everything that names them is made from it -- struct sl_central_counters, the
 * library's per-thread tallies and their sums, the SPANLAB_STATS=1 line and slbench's CSV
 * columns. kind says where the number comes from:
 *   TALLY    an event each thread counts in its own block, summed over threads (counters.h)
 *   VARIANT  an event the variant counts (its stats op adds it)
 *   GLOBAL   an event counted once for all span classes (a class's read gives the total)
 *   GAUGE    how many spans are in a state now
 * An event count only grows: the difference of two reads counts the events between them.
 * The list is three runs, by the version of slbench's CSV schema that added them (1, 2, 3
 * and later): the CSV keeps each run where its schema put it, so that a reader of an older
 * schema by position keeps working. A new counter goes at the end of the last run: a new
 * CSV schema, to describe in results/README.md and tests/harness/check_csv.py. */
#define SL_CENTRAL_COUNTERS(X)                                                                     \
    SL_CENTRAL_COUNTERS_1(X) SL_CENTRAL_COUNTERS_2(X) SL_CENTRAL_COUNTERS_3(X)
#define SL_CENTRAL_COUNTERS_1(X)                                                                   \
    X(cache_calls, TALLY)         /* spans an mcache took from the mcentral */                     \
    X(uncache_calls, TALLY)       /* spans an mcache gave back to the mcentral */                  \
    X(put_available_calls, TALLY) /* parked spans made available again by a free */                \
    X(spans_grown, TALLY)         /* spans taken from the mheap */                                 \
    X(spans_returned, TALLY)      /* all-free spans given back to the mheap */                     \
    X(spans_available, GAUGE)     /* in the mcentral's span sets */                                \
    X(spans_parked, GAUGE)        /* parked (full, waiting for a free) */                          \
    X(spans_cached, GAUGE)        /* owned by an mcache (home lists included) */                   \
    X(lock_waits, VARIANT)        /* lock acquisitions whose try-lock failed first */              \
    X(cas_retries, VARIANT)       /* failed CAS attempts in the variant */                         \
    X(grace_periods, VARIANT)     /* RCU / epoch grace periods the mcentral path waited for */     \
    X(grace_periods_bg, VARIANT)  /* grace periods completed in the background */
#define SL_CENTRAL_COUNTERS_2(X)                                                                   \
    X(local_frees, TALLY)  /* frees into a span the thread owned: no atomics (counted at sweep) */ \
    X(remote_frees, TALLY) /* frees through a span's atomic free bitmap (counted at sweep) */      \
    X(home_returns, TALLY) /* parked spans taken back by their home thread (home) */               \
    X(spills, TALLY)       /* spans a home list had no room for, sent to the mcentral */
#define SL_CENTRAL_COUNTERS_3(X)                                                                   \
    X(sweep_cycles, GLOBAL)   /* sweep generations started (sweep policy) */                       \
    X(swept_alloc, TALLY)     /* unswept spans swept on the allocation path (sweep) */             \
    X(swept_bg, TALLY)        /* unswept spans swept by the background sweeper or sl_scavenge */   \
    X(sweep_reclaimed, TALLY) /* objects those sweeps found freed (per swept span: divide) */      \
    X(cache_slots, TALLY)     /* free slots of the spans cache calls handed out */                 \
    X(flushes, TALLY)         /* uncache calls of a span with slots it never handed out */         \
    X(adoptions, TALLY)       /* parked spans of other threads a freeing thread took (home) */     \
    X(refills, TALLY)         /* times a thread's current span had no free slot left */

/* The counters of one mcentral (one span class) or their sum over all classes. */
struct sl_central_counters {
#define SL_CENTRAL_COUNTER_FIELD(name, kind) uint64_t name;
    SL_CENTRAL_COUNTERS(SL_CENTRAL_COUNTER_FIELD)
#undef SL_CENTRAL_COUNTER_FIELD
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
