/* Span-return policies: what an mcache does with a span it cannot allocate from and where
 * it looks for the next one, chosen once per process ($SPANLAB_POLICY or sl_init's
 * "variant/policy"). A policy is one file (policy_<name>.c) exporting one `const
 * sl_policy_t`, listed in policy.c. Policies sit between the mcache and Go's mcentral
 * (central.h); none of them touches a variant directly. Neighbours: mcache.c (the only
 * caller on the allocation path), malloc.c (frees), scavenger.c (sl_scavenge).
 */
#ifndef SL_POLICY_H
#define SL_POLICY_H

#include "mcache.h"

typedef struct sl_policy {
    const char *name;    /* [a-z0-9_]+, also the CSV `policy` value */
    const char *summary; /* one line for `slbench --list` */
    unsigned nsets;      /* span-set instances per class the policy uses (central.h) */
    bool sweep_mode;     /* Go's swept/unswept sets and sweep generations (central.h) */

    /* c's span of class spc is exhausted even after a sweep (or there is none:
     * &sl_span_empty). Give it back as the policy says and return the next span of the
     * class, owned by c (CACHED, swept, with a free slot); NULL with errno = ENOMEM. The
     * caller stores the result in c->alloc[spc]. */
    sl_span_t *(*refill)(sl_mcache_t *c, unsigned spc, sl_span_t *exhausted);

    /* Optional: read the policy's own settings ($SPANLAB_*) at initialisation; 0 or
     * -EINVAL (after a one-line message). */
    int (*configure)(void);

    /* Optional: the calling thread won PARKED -> TRANSIT on s (a free landed in it). True
     * if the policy keeps the span; false sends it to the mcentral. Runs inside free(). */
    bool (*unparked)(sl_span_t *s);

    /* Optional: thread exit, after c's current spans went back to the mcentral: give back
     * every other span c owns. */
    void (*flush)(sl_mcache_t *c);

    /* Optional: start the policy's background threads. Called after each refill with no
     * lock held (it may allocate); cheap once they run. */
    void (*start_threads)(void);

    /* Optional: fork() support for the policy's own locks and threads (called before the
     * mcentral's handlers, after them, and in the child). */
    void (*atfork_prepare)(void);
    void (*atfork_parent)(void);
    void (*atfork_child)(void);

    /* Optional: sl_scavenge, and an allocation about to fail for lack of memory -- give
     * back what the policy keeps in mcaches (this thread's at once, other threads' at
     * their next refill). */
    void (*drain)(void);
} sl_policy_t;

/* The active policy (chosen once at initialisation). */
extern const sl_policy_t *sl_policy_active;

/* Registry (policy.c). */
const sl_policy_t *sl_policy_find(const char *name);
const sl_policy_t *const *sl_policy_list(void); /* NULL-terminated */
#define SL_POLICY_DEFAULT "home" /* chosen by measurement: README, "Span-return policies" */

/* home's defaults, measured (README, "Span-return policies"): the cap in KiB per class and
 * thread ($SPANLAB_HOME_KIB), how many turns of the list in a row may find a span full
 * before it parks ($SPANLAB_HOME_TURNS), and the share of a listed span's slots in
 * percent that a refill's sweep must find free to take it ($SPANLAB_HOME_YIELD). */
#define SL_HOME_DEFAULT_KIB   1024
#define SL_HOME_DEFAULT_TURNS 3
#define SL_HOME_DEFAULT_YIELD 25
/* How many listed spans short of the yield a refill sweeps before it takes a new span
 * (a choice, not measured against other values). */
#define SL_HOME_LOOKS 4

/* home's settings: as configured, or as a test set them. Each refill reads them, so a
 * test may change them between two allocations while no other thread allocates. */
typedef struct sl_home_settings {
    size_t cap_bytes;   /* of spans per class and thread */
    unsigned turns;     /* full turns in a row before a span parks */
    unsigned yield_pct; /* free share a refill wants of a listed span */
} sl_home_settings_t;
sl_home_settings_t sl_home_get(void);
void sl_home_set(sl_home_settings_t h);

#endif
