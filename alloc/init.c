/* Start-up: choose the variant and the span-return policy once ($SPANLAB_CENTRAL,
 * $SPANLAB_POLICY or sl_init), initialise every mcentral, register fork handlers.
 * Allocations made *during* initialisation by the initialising thread (a dependency
 * calling malloc) are served by the bootstrap arena (bootstrap.c). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "central.h"
#include "counters.h"
#include "env.h"
#include "fatal.h"
#include "malloc_internal.h"
#include "mcache.h"
#include "mheap.h"
#include "os.h"
#include "policy.h"
#include "scavenger.h"
#include "stall.h"

enum { INIT_NONE, INIT_DONE };

static _Atomic int init_state;
static __thread bool initializing;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

/* Append ", name" (or "name" first) to buf while it fits. */
static void append_name(char *buf, size_t len, const char *name) {
    size_t used = strlen(buf), n = strlen(name);
    if (used + n + 3 >= len)
        return;
    if (used) {
        memcpy(buf + used, ", ", 2);
        used += 2;
    }
    memcpy(buf + used, name, n + 1);
}

static void fork_prepare(void) {
    sl_scavenger_atfork_prepare();
    if (sl_policy_active->atfork_prepare)
        sl_policy_active->atfork_prepare();
    sl_central_atfork_prepare();
    sl_mcache_atfork_prepare();
    sl_counters_atfork_prepare();
    sl_mheap_atfork_prepare();
    sl_os_atfork_prepare();
}

static void fork_parent(void) {
    sl_os_atfork_parent();
    sl_mheap_atfork_parent();
    sl_counters_atfork_parent();
    sl_mcache_atfork_parent();
    sl_central_atfork_parent();
    if (sl_policy_active->atfork_parent)
        sl_policy_active->atfork_parent();
    sl_scavenger_atfork_parent();
}

static void fork_child(void) {
    sl_os_atfork_child();
    sl_mheap_atfork_child();
    sl_counters_atfork_child();
    sl_mcache_atfork_child();
    sl_central_atfork_child();
    if (sl_policy_active->atfork_child)
        sl_policy_active->atfork_child();
    sl_scavenger_atfork_child();
}

static bool mcache_ready; /* under init_lock: a failed initialisation is retried */

/* name: "variant", "variant/policy" or NULL ($SPANLAB_CENTRAL, default mutex); the policy
 * defaults to $SPANLAB_POLICY, then SL_POLICY_DEFAULT. */
static int init_locked(const char *name) {
    char vname[64];
    const char *pname = NULL;
    /* Every variable by its rule first, whichever module reads it. */
    if (sl_env_check() < 0)
        return -EINVAL;
    const char *vsource = "", *psource = ""; /* where a bad name came from, for the message */
    if (!name) {
        name = sl_env_string(SL_ENV_CENTRAL);
        vsource = psource = name ? "SPANLAB_CENTRAL: " : "";
        if (!name)
            name = "mutex";
    }
    const char *slash = strchr(name, '/');
    if (slash) {
        size_t n = (size_t)(slash - name);
        if (n >= sizeof vname)
            n = sizeof vname - 1;
        memcpy(vname, name, n);
        vname[n] = '\0';
        name = vname;
        pname = slash + 1;
    }
    if (!pname || !*pname) {
        pname = sl_env_string(SL_ENV_POLICY);
        psource = pname ? "SPANLAB_POLICY: " : "";
    }
    if (!pname)
        pname = SL_POLICY_DEFAULT;
    const sl_central_ops_t *ops = sl_variant_find(name);
    if (!ops) {
        char known[256] = "";
        for (const sl_central_ops_t *const *v = sl_variant_list(); *v; v++)
            append_name(known, sizeof known, (*v)->name);
        sl_message("%sunknown mcentral variant '%s' (known: %s)", vsource, name, known);
        return -EINVAL;
    }
    const sl_policy_t *policy = sl_policy_find(pname);
    if (!policy) {
        char known[256] = "";
        for (const sl_policy_t *const *p = sl_policy_list(); *p; p++)
            append_name(known, sizeof known, (*p)->name);
        sl_message("%sunknown span-return policy '%s' (known: %s)", psource, pname, known);
        return -EINVAL;
    }
    if (sl_scavenger_configure() < 0 || sl_stall_configure_env() < 0)
        return -EINVAL;
    if (policy->configure && policy->configure() < 0)
        return -EINVAL;
    if (sl_env_unsigned(SL_ENV_UNPARK_PCT, &sl_span_unpark_pct) < 0)
        return -EINVAL;
    if (!mcache_ready) {
        int r = sl_mcache_init();
        if (r < 0)
            return r;
        mcache_ready = true;
    }
    sl_central_active = ops; /* init may already allocate (served by the bootstrap) */
    sl_policy_active = policy;
    sl_central_sweep_mode = policy->sweep_mode;
    int r = sl_central_init(ops, policy->nsets);
    if (r < 0) { /* out of memory is an answer: nothing was kept, the next call retries */
        sl_central_active = NULL;
        sl_policy_active = NULL;
        return r;
    }
    /* Release: the variant's per-class state is visible to every thread that sees
     * INIT_DONE. pairs with init.c:sl_ensure_init */
    sl_store_release(&init_state, INIT_DONE);
    pthread_atfork(fork_prepare, fork_parent, fork_child); /* may malloc: init is done */
    return 0;
}

/* "variant" or "variant/policy" names what is running. */
static bool running_as(const char *name) {
    size_t n = strlen(sl_central_active->name);
    if (strncmp(name, sl_central_active->name, n) != 0)
        return false;
    return name[n] == '\0' || (name[n] == '/' && strcmp(name + n + 1, sl_policy_active->name) == 0);
}

int sl_init(const char *variant) {
    /* pairs with init.c:init_locked (the release store of INIT_DONE) */
    if (sl_load_acquire(&init_state) != INIT_DONE) {
        if (initializing)
            return -EBUSY; /* called from inside initialisation */
        pthread_mutex_lock(&init_lock);
        int r = 0;
        if (sl_load_relaxed(&init_state) != INIT_DONE) {
            initializing = true;
            r = init_locked(variant);
            initializing = false;
        }
        pthread_mutex_unlock(&init_lock);
        if (r < 0)
            return r;
    }
    if (variant && !running_as(variant)) {
        sl_message("sl_init(\"%s\"): already running with %s/%s", variant, sl_central_active->name,
                   sl_policy_active->name);
        return -EBUSY;
    }
    return 0;
}

int sl_ensure_init(void) {
    /* Acquire: the variant's state is set up before INIT_DONE is seen. pairs with
     * init.c:init_locked */
    if (sl_load_acquire(&init_state) == INIT_DONE)
        return 1;
    if (initializing)
        return 0;
    int r = sl_init(NULL);
    if (r == -EINVAL)
        abort(); /* the message said what is wrong (a variant, a policy, a parameter) */
    if (r < 0) {
        errno = r == -EAGAIN ? ENOMEM : -r;
        return -1;
    }
    return 1;
}

bool sl_init_gate(size_t size, size_t align, void **early) {
    int r = sl_ensure_init();
    if (r > 0)
        return true;
    *early = r == 0 ? sl_bootstrap_alloc(size, align) : NULL;
    return false;
}

const char *sl_variant(void) {
    sl_ensure_init();
    return sl_central_active ? sl_central_active->name : "(not initialised)";
}

const char *sl_policy(void) {
    sl_ensure_init();
    return sl_policy_active ? sl_policy_active->name : "(not initialised)";
}
