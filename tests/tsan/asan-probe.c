/* asan-probe CASE: one deliberate bug, to show what ASan+UBSan see in spanlab (scripts/asan
 * prints whether each is reported). Exit 0 means the bug went unseen.
 *   overflow     write 8 bytes past a 24-byte sl_malloc object (into its neighbour):
 *                spanlab's memory comes from mmap and is not poisoned, so ASan is silent
 *   global       read one past the end of a global table through a pointer: reported by
 *                ASan (global redzone; an array index would be UBSan's bounds check)
 *   ubsan-shift  shift a 64-bit bitmap word by 64: reported by UBSan
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spanlab.h"

int probe_table[8] = {1, 2, 3, 4, 5, 6, 7, 8};

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: asan-probe overflow|global|ubsan-shift\n");
        return 2;
    }
    volatile int idx = 8;
    volatile unsigned shift = 64;
    if (strcmp(argv[1], "overflow") == 0) {
        char *a = sl_malloc(24), *b = sl_malloc(24);
        memset(a, 'x', 32); /* 8 bytes into the next slot */
        printf("overflow unseen (%p %p)\n", (void *)a, (void *)b);
        sl_free(b);
        sl_free(a);
        return 0;
    }
    if (strcmp(argv[1], "global") == 0) {
        int *volatile p = probe_table;
        printf("global %d\n", p[idx]);
        return 0;
    }
    if (strcmp(argv[1], "ubsan-shift") == 0) {
        uint64_t w = 1;
        printf("shift %llu\n", (unsigned long long)(w << shift));
        return 0;
    }
    fprintf(stderr, "asan-probe: unknown case %s\n", argv[1]);
    return 2;
}
