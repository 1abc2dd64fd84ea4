/* Prints the registered variant names, one per line (used by scripts and tests); with
 * --policies, every variant/policy pair instead ("mutex/eager"), which $SPANLAB_CENTRAL
 * and sl_init accept. */
#include <stdio.h>
#include <string.h>

#include "central.h"
#include "policy.h"

int main(int argc, char **argv) {
    int pairs = argc > 1 && strcmp(argv[1], "--policies") == 0;
    for (const sl_central_ops_t *const *v = sl_variant_list(); *v; v++) {
        if (!pairs) {
            printf("%s\n", (*v)->name);
            continue;
        }
        for (const sl_policy_t *const *p = sl_policy_list(); *p; p++)
            printf("%s/%s\n", (*v)->name, (*p)->name);
    }
    return 0;
}
