/* The SPANLAB_* environment (env.h): the table of every variable, what it accepts, and the
 * one rule that parses it. The modules keep their defaults; the README's environment table
 * says the same as `accepts` here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "fatal.h"

/* What a variable accepts: a whole number in lo..hi (none when lo > hi), described by
 * unit, or one of up to two words that stand for numbers. */
static const struct env_spec {
    const char *name;
    const char *unit;
    unsigned lo, hi;
    const char *word[2];
    unsigned word_value[2];
} env_specs[SL_ENV_COUNT] = {
/* clang-format off */
#define NAME(v, what)           [SL_ENV_##v] = {"SPANLAB_" #v, what, 1, 0, {NULL, NULL}, {0, 0}}
#define NUMBER(v, unit, lo, hi) [SL_ENV_##v] = {"SPANLAB_" #v, unit, lo, hi, {NULL, NULL}, {0, 0}}
    NAME(CENTRAL, "a variant, or variant/policy (list_variants --policies)"),
    NAME(POLICY, "a span-return policy"),
    NUMBER(UNPARK_PCT, "a percentage of a span's objects", 0, 100),
    NUMBER(HOME_KIB, "KiB of home spans per class and thread", 0, 1u << 20),
    NUMBER(HOME_TURNS, "turns of a home list", 1, 255),
    NUMBER(HOME_YIELD, "a percentage of a span's objects", 0, 100),
    [SL_ENV_GOGC] = {"SPANLAB_GOGC", "the heap growth in percent that starts a sweep cycle",
                     1, 100000, {"off", NULL}, {0, 0}},
    NUMBER(SWEEPER, "0 (no background sweeper) or 1", 0, 1),
    NUMBER(SCAVENGE_MS, "milliseconds (0: no background thread)", 0, 3600000), /* an hour */
    NUMBER(DECAY_MS, "milliseconds", 0, 3600000),
    NUMBER(SCAVENGE_RATE, "MiB per second", 1, 1048576), /* 1 TiB/s: no bound in practice */
    [SL_ENV_RETAIN_PCT] = {"SPANLAB_RETAIN_PCT", "percent over the recent peak in use",
                           1, 1000, {"off", NULL}, {0, 0}},
    NUMBER(STALL_PPM, "stalls per million passes", 0, 1000000),
    NUMBER(STALL_US, "microseconds per stall", 0, 1000000),
    [SL_ENV_STALL_MODE] = {"SPANLAB_STALL_MODE", "", 1, 0, {"sleep", "spin"}, {0, 1}},
    NUMBER(STATS, "0 or 1 (a summary at exit)", 0, 1),
#undef NAME
#undef NUMBER
    /* clang-format on */
};

const char *sl_env_name(sl_env_var_t v) {
    return env_specs[v].name;
}

void sl_env_accepts(sl_env_var_t v, char *buf, size_t n) {
    const struct env_spec *spec = &env_specs[v];
    size_t len = 0;
    buf[0] = '\0';
    if (spec->lo <= spec->hi)
        len = (size_t)snprintf(buf, n, "%s, %u..%u", spec->unit, spec->lo, spec->hi);
    else if (!spec->word[0])
        len = (size_t)snprintf(buf, n, "%s", spec->unit);
    for (int i = 0; i < 2 && spec->word[i] && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s",
                                len == 0 ? ""
                                : i      ? " or "
                                         : ", or ",
                                spec->word[i]);
}

bool sl_env_range(sl_env_var_t v, unsigned *lo, unsigned *hi) {
    *lo = env_specs[v].lo;
    *hi = env_specs[v].hi;
    return *lo <= *hi;
}

const char *sl_env_word(sl_env_var_t v, int i) {
    return i >= 0 && i < 2 ? env_specs[v].word[i] : NULL;
}

void sl_env_bad(sl_env_var_t v, const char *value) {
    char want[160];
    sl_env_accepts(v, want, sizeof want);
    sl_message("%s='%s': want %s", env_specs[v].name, value, want);
}

const char *sl_env_string(sl_env_var_t v) {
    const char *e = getenv(env_specs[v].name);
    return e && *e ? e : NULL;
}

/* 0 and *out when e is what spec accepts, else -EINVAL (no message). */
static int env_parse(const struct env_spec *spec, const char *e, unsigned *out) {
    for (int i = 0; i < 2 && spec->word[i]; i++)
        if (strcmp(e, spec->word[i]) == 0) {
            *out = spec->word_value[i];
            return 0;
        }
    if (spec->lo > spec->hi || e[0] < '0' || e[0] > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long x = strtoul(e, &end, 10);
    if (*end != '\0' || errno || x < spec->lo || x > spec->hi)
        return -EINVAL;
    *out = (unsigned)x;
    return 0;
}

int sl_env_unsigned(sl_env_var_t v, unsigned *out) {
    const char *e = sl_env_string(v);
    if (!e)
        return 0;
    unsigned x;
    if (env_parse(&env_specs[v], e, &x) < 0) {
        sl_env_bad(v, e);
        return -EINVAL;
    }
    *out = x;
    return 0;
}

int sl_env_check(void) {
    for (int v = 0; v < SL_ENV_COUNT; v++) {
        unsigned ignored;
        if (env_specs[v].lo <= env_specs[v].hi || env_specs[v].word[0])
            if (sl_env_unsigned((sl_env_var_t)v, &ignored) < 0)
                return -EINVAL;
    }
    return 0;
}
