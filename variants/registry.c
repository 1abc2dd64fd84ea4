/* The variant registry: name -> ops table, expanded from the one list in
 * variants/variants.def (add a variant there, not here). */
#include <string.h>

#include "central.h"

#define SL_VARIANT(name) extern const sl_central_ops_t sl_central_##name;
#include "variants.def"
#undef SL_VARIANT

static const sl_central_ops_t *const variants[] = {
#define SL_VARIANT(name) &sl_central_##name,
#include "variants.def"
#undef SL_VARIANT
    NULL,
};

const sl_central_ops_t *const *sl_variant_list(void) {
    return variants;
}

const sl_central_ops_t *sl_variant_find(const char *name) {
    for (const sl_central_ops_t *const *v = variants; *v; v++)
        if (strcmp((*v)->name, name) == 0)
            return *v;
    return NULL;
}
