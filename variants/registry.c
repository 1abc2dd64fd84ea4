/* The variant registry: name -> ops table. Add a variant with one line below (keep the
 * `&sl_central_<name>,` form: tests/variants.cmake reads it to register the conformance
 * suite once per variant). */
#include <string.h>

#include "central.h"

extern const sl_central_ops_t sl_central_mutex;
extern const sl_central_ops_t sl_central_spin;
extern const sl_central_ops_t sl_central_ckstack;
extern const sl_central_ops_t sl_central_spanset;
extern const sl_central_ops_t sl_central_rcu;

/* clang-format off */
static const sl_central_ops_t *const variants[] = {
    &sl_central_mutex,
    &sl_central_spin,
    &sl_central_ckstack,
    &sl_central_rcu,
    &sl_central_spanset,
    NULL,
};
/* clang-format on */

const sl_central_ops_t *const *sl_variant_list(void) {
    return variants;
}

const sl_central_ops_t *sl_variant_find(const char *name) {
    for (const sl_central_ops_t *const *v = variants; *v; v++)
        if (strcmp((*v)->name, name) == 0)
            return *v;
    return NULL;
}
