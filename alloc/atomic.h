/* Named-order wrappers over C11 atomics (no implicit seq_cst), and TSan helpers.
 * Fields touched atomically are declared _Atomic and carry an `x` prefix.
 */
#ifndef SL_ATOMIC_H
#define SL_ATOMIC_H

#include <stdatomic.h>

/* Loads and stores. */
/* Loads and stores. */
/* Loads and stores. */
/* Loads and stores. */
/* Loads and stores. */
/* Loads and stores. */
#define sl_load_relaxed(p)     atomic_load_explicit((p), memory_order_relaxed)
#define sl_load_acquire(p)     atomic_load_explicit((p), memory_order_acquire)
#define sl_load_seqcst(p)      atomic_load_explicit((p), memory_order_seq_cst)
#define sl_store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define sl_store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define sl_store_seqcst(p, v)  atomic_store_explicit((p), (v), memory_order_seq_cst)
/* Read-modify-writes: each returns the old value. */
#define sl_fetch_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define sl_fetch_add_acq_rel(p, v) atomic_fetch_add_explicit((p), (v), memory_order_acq_rel)
#define sl_fetch_sub_relaxed(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_relaxed)
#define sl_fetch_or_acq_rel(p, v)  atomic_fetch_or_explicit((p), (v), memory_order_acq_rel)
#define sl_fetch_or_seqcst(p, v)   atomic_fetch_or_explicit((p), (v), memory_order_seq_cst)
#define sl_exchange_acq_rel(p, v)  atomic_exchange_explicit((p), (v), memory_order_acq_rel)
/* Compare-and-swap (strong; casw: weak): the success order, then the failure order when it
 * is not the strongest a failure may have. */
#define sl_cas_relaxed(p, expp, v)                                                                 \
    atomic_compare_exchange_strong_explicit((p), (expp), (v), memory_order_relaxed,                \
                                            memory_order_relaxed)
#define sl_cas_acq_rel(p, expp, v)                                                                 \
    atomic_compare_exchange_strong_explicit((p), (expp), (v), memory_order_acq_rel,                \
                                            memory_order_acquire)
#define sl_cas_acq_rel_relaxed(p, expp, v)                                                         \
    atomic_compare_exchange_strong_explicit((p), (expp), (v), memory_order_acq_rel,                \
                                            memory_order_relaxed)
#define sl_cas_seqcst(p, expp, v)                                                                  \
    atomic_compare_exchange_strong_explicit((p), (expp), (v), memory_order_seq_cst,                \
                                            memory_order_seq_cst)
#define sl_casw_acq_rel(p, expp, v)                                                                \
    atomic_compare_exchange_weak_explicit((p), (expp), (v), memory_order_acq_rel,                  \
                                          memory_order_acquire)

/* Relaxed per-class counter bump (stats only; never used for synchronization). */
#define sl_count(p) ((void)sl_fetch_add_relaxed((p), 1))

/* SL_HAVE_TSAN: one test for both compilers (gcc defines __SANITIZE_THREAD__). */
#if defined(__SANITIZE_THREAD__)
#define SL_HAVE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SL_HAVE_TSAN 1
#endif
#endif

#ifdef SL_HAVE_TSAN
#include <sanitizer/tsan_interface.h>
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define sl_tsan_acquire(p) __tsan_acquire((void *)(p))
#define sl_tsan_release(p) __tsan_release((void *)(p))
#else
#define sl_tsan_acquire(p) ((void)(p))
#define sl_tsan_release(p) ((void)(p))
#endif

static inline void sl_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
