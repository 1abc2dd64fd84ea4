/* Prints the registered variant names, one per line (used by scripts and tests). */
#include <stdio.h>

#include "central.h"

int main(void) {
    for (const sl_central_ops_t *const *v = sl_variant_list(); *v; v++)
        printf("%s\n", (*v)->name);
    return 0;
}
