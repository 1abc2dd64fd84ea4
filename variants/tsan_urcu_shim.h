/* TSan-only shim for liburcu 0.13 (reference/libs-tsan.md 3.2): included before any other
 * urcu header, and only when SL_HAVE_TSAN. liburcu 0.13 has no atomic-builtins mode; its
 * shared accesses are volatile loads/stores and its uatomic_* inline asm, which TSan sees as
 * plain accesses or not at all. This header maps the ones that _LGPL_SOURCE inlines into our
 * code (rcu_read_lock/unlock, rcu_dereference, rcu_assign_pointer, wake_up_gp) to __atomic
 * builtins with the orders x86-TSO already gives, so TSan sees the real happens-before.
 * It changes nothing in the uninstrumented library code, which TSan does not see.
 */
#ifndef SL_TSAN_URCU_SHIM_H
#define SL_TSAN_URCU_SHIM_H

/* Let urcu define its versions first, then replace them before any header uses them. */
#include <urcu/system.h>
#include <urcu/uatomic.h>

#undef _CMM_LOAD_SHARED
#undef CMM_LOAD_SHARED
#undef _CMM_STORE_SHARED
#undef CMM_STORE_SHARED
#define _CMM_LOAD_SHARED(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define CMM_LOAD_SHARED(p)  __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define _CMM_STORE_SHARED(x, v)                                                                    \
    __extension__({                                                                                \
        __typeof__(x) sl_shim_v_ = (v);                                                            \
        __atomic_store_n(&(x), sl_shim_v_, __ATOMIC_RELEASE);                                      \
        sl_shim_v_;                                                                                \
    })
#define CMM_STORE_SHARED(x, v) _CMM_STORE_SHARED(x, v)

#undef uatomic_read
#undef uatomic_set
#undef uatomic_cmpxchg
#undef uatomic_xchg
#undef uatomic_add_return
#undef uatomic_sub_return
#undef uatomic_add
#undef uatomic_sub
#undef uatomic_inc
#undef uatomic_dec
#undef uatomic_and
#undef uatomic_or
#define uatomic_read(addr)             __atomic_load_n((addr), __ATOMIC_ACQUIRE)
#define uatomic_set(addr, v)           ((void)__atomic_store_n((addr), (v), __ATOMIC_RELEASE))
#define uatomic_cmpxchg(addr, old, nw) __sync_val_compare_and_swap((addr), (old), (nw))
#define uatomic_xchg(addr, v)          __atomic_exchange_n((addr), (v), __ATOMIC_SEQ_CST)
#define uatomic_add_return(addr, v)    __atomic_add_fetch((addr), (v), __ATOMIC_SEQ_CST)
#define uatomic_sub_return(addr, v)    __atomic_sub_fetch((addr), (v), __ATOMIC_SEQ_CST)
#define uatomic_add(addr, v)           ((void)__atomic_add_fetch((addr), (v), __ATOMIC_SEQ_CST))
#define uatomic_sub(addr, v)           ((void)__atomic_sub_fetch((addr), (v), __ATOMIC_SEQ_CST))
#define uatomic_inc(addr)              uatomic_add((addr), 1)
#define uatomic_dec(addr)              uatomic_sub((addr), 1)
#define uatomic_and(addr, v)           ((void)__atomic_and_fetch((addr), (v), __ATOMIC_SEQ_CST))
#define uatomic_or(addr, v)            ((void)__atomic_or_fetch((addr), (v), __ATOMIC_SEQ_CST))

#endif
