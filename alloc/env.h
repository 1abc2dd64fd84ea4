/* The SPANLAB_* environment: every variable the allocator reads, in one table (env.c),
 * parsed by one rule. Unset or empty keeps the caller's default. A set value must be a
 * whole number in the variable's range or one of its words; anything else prints one line,
 * `spanlab: SPANLAB_X='value': want <what it accepts>`, and the call returns -EINVAL, so
 * sl_init fails (and the lazy initialisation of a first malloc, or the preload library,
 * aborts). The README's environment table lists the same variables. */
#ifndef SL_ENV_H
#define SL_ENV_H

#include <stdbool.h>
#include <stddef.h>

typedef enum sl_env_var {
    SL_ENV_CENTRAL,       /* variant[/policy], checked against the registries by init.c */
    SL_ENV_POLICY,        /* span-return policy, checked by init.c */
    SL_ENV_UNPARK_PCT,    /* central.c: parked span's free share before it is available */
    SL_ENV_HOME_KIB,      /* policy_home.c: home spans per class and thread */
    SL_ENV_HOME_TURNS,    /* policy_home.c: turns a span may stay full before it parks */
    SL_ENV_HOME_YIELD,    /* policy_home.c: free share a refill wants of a listed span */
    SL_ENV_GOGC,          /* policy_sweep.c: heap growth that starts a cycle, or off */
    SL_ENV_SWEEPER,       /* policy_sweep.c: background sweeper thread */
    SL_ENV_SCAVENGE_MS,   /* scavenger.c: background scavenger period */
    SL_ENV_DECAY_MS,      /* scavenger.c: how long free pages stay before release */
    SL_ENV_SCAVENGE_RATE, /* scavenger.c: release rate bound */
    SL_ENV_RETAIN_PCT,    /* scavenger.c: retained goal's margin over the recent peak */
    SL_ENV_STALL_PPM,     /* stall.c: stalls per million passes of a stall point */
    SL_ENV_STALL_US,      /* stall.c: length of a stall */
    SL_ENV_STALL_MODE,    /* stall.c: sleep or spin */
    SL_ENV_STATS,         /* preload/startup.c: summary at exit */
    SL_ENV_COUNT
} sl_env_var_t;

/* The variable's name ("SPANLAB_GOGC"), and what it accepts as the message says it. */
const char *sl_env_name(sl_env_var_t v);
void sl_env_accepts(sl_env_var_t v, char *buf, size_t n);

/* What v accepts, for tests: its numbers lo..hi (false if none), its i-th word (NULL past
 * the last). */
bool sl_env_range(sl_env_var_t v, unsigned *lo, unsigned *hi);
const char *sl_env_word(sl_env_var_t v, int i);

/* A number variable: *out unchanged when unset or empty, else the value in range (a word
 * stands for its number: SPANLAB_GOGC=off, SPANLAB_STALL_MODE=spin); 0 or -EINVAL after
 * the message. */
int sl_env_unsigned(sl_env_var_t v, unsigned *out);

/* Every number variable by the rule, whichever module will read it (so a bad value fails
 * sl_init under any variant and policy): 0 or -EINVAL after the first bad one's message. */
int sl_env_check(void);

/* A name variable (SPANLAB_CENTRAL, SPANLAB_POLICY): its value, NULL when unset or empty.
 * Its caller checks it against the registry and names the variable when it is unknown. */
const char *sl_env_string(sl_env_var_t v);

/* A bad value of v: the one-line message of the rule. */
void sl_env_bad(sl_env_var_t v, const char *value);

#endif
