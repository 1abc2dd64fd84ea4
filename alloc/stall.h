/* Stall points: a variant marks its critical point(s) with SL_STALL_POINT() -- inside the
 * lock for the locked variants, between reading the shared word and the CAS (or the
 * publishing store) for the lock-free ones -- so that a benchmark can stall a thread there
 * on purpose, with a given probability and for a given time, and show what the other
 * threads do meanwhile (progress under preemption). variants/README.md lists the points.
 *
 * Cost when off (the normal case): one relaxed load of a global and a branch that
 * __builtin_expect marks not taken; the slow path is an out-of-line call. Checked with
 * `objdump -d --no-show-raw-insn build/libspanlab.so` (release, gcc 12 -O2): each point
 * in mutex_pop and the others is `mov sl_stall_xppm(%rip),%eax; test %eax,%eax; jne` to
 * a call of sl_stall_hit placed after the function's return.
 *
 * Configuration: sl_stall_configure() (the harness), or at sl_init from
 *   SPANLAB_STALL_PPM   stalls per million passes through a point (0 = off, the default)
 *   SPANLAB_STALL_US    length of one stall in microseconds (default 50)
 *   SPANLAB_STALL_MODE  sleep (nanosleep: the thread leaves the CPU, like a preempted
 *                       thread; the default) or spin (it keeps the CPU, busy-waiting)
 */
#ifndef SL_STALL_H
#define SL_STALL_H

#include <stdatomic.h>
#include <stdint.h>

typedef enum { SL_STALL_SLEEP = 0, SL_STALL_SPIN = 1 } sl_stall_mode_t;

/* Stalls per million passes; 0 = off. Relaxed: a point that sees a stale value only
 * stalls (or does not) once more. Written by sl_stall_configure. Hidden: read only inside
 * the library, so even libspanlab.so reads it %rip-relative, not through the GOT. */
extern _Atomic uint32_t sl_stall_xppm __attribute__((visibility("hidden")));

/* The slow path: draws from a per-thread generator, stalls with probability ppm/1e6. */
void sl_stall_hit(void);

#define SL_STALL_POINT()                                                                           \
    do {                                                                                           \
        if (__builtin_expect(sl_load_relaxed(&sl_stall_xppm) != 0, 0))                             \
            sl_stall_hit();                                                                        \
    } while (0)

#define SL_STALL_MAX_PPM 1000000u
#define SL_STALL_MAX_US  1000000u

/* Set the rate, length and mode (any thread, any time; points see it eventually).
 * -EINVAL with a one-line message when ppm > SL_STALL_MAX_PPM or us > SL_STALL_MAX_US
 * (nothing changed). */
int sl_stall_configure(uint32_t ppm, uint32_t us, sl_stall_mode_t mode);

/* $SPANLAB_STALL_PPM / _US / _MODE (sl_init). Unset keeps the current setting; a bad value
 * is -EINVAL with a message naming it. */
int sl_stall_configure_env(void);

/* Stalls taken so far, all threads (tests and the harness). */
uint64_t sl_stall_count(void);

#endif
