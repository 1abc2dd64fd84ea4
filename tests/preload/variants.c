/* Prints the registered mcentral variants, one name a line: the preload tests run every
 * program once under each of them. */
#include <stdio.h>

#include "central.h"

int main(void) {
    for (const sl_central_ops_t *const *v = sl_variant_list(); *v != NULL; v++)
        printf("%s\n", (*v)->name);
    return 0;
}
