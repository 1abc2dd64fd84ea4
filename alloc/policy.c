/* The span-return policy registry: name -> policy. Add a policy with its file
 * (policy_<name>.c, in CMakeLists.txt's SL_CORE_SOURCES) and one line below (keep the
 * `&sl_policy_<name>,` form: tests/variants.cmake reads it to test every policy). */
#include <string.h>

#include "policy.h"

extern const sl_policy_t sl_policy_eager;
extern const sl_policy_t sl_policy_home;
extern const sl_policy_t sl_policy_sweep;

/* clang-format off */
static const sl_policy_t *const policies[] = {
    &sl_policy_eager,
    &sl_policy_home,
    &sl_policy_sweep,
    NULL,
};
/* clang-format on */

const sl_policy_t *sl_policy_active;

const sl_policy_t *const *sl_policy_list(void) {
    return policies;
}

const sl_policy_t *sl_policy_find(const char *name) {
    for (const sl_policy_t *const *p = policies; *p; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}
