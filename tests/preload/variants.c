/* Prints every registered mcentral variant under every span-return policy, one
 * "variant/policy" a line ($SPANLAB_CENTRAL accepts that form): the preload tests run
 * every program once under each. */
#include <stdio.h>

#include "central.h"
#include "policy.h"

int main(void) {
    for (const sl_central_ops_t *const *v = sl_variant_list(); *v != NULL; v++)
        for (const sl_policy_t *const *p = sl_policy_list(); *p != NULL; p++)
            printf("%s/%s\n", (*v)->name, (*p)->name);
    return 0;
}
