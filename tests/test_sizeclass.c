/* Size classes: the table re-derived with Go's generator algorithm (mksizeclasses.go),
 * size_to_class for every small size, divMul exact for every offset of every class, and
 * sl_usable_size of real allocations. */
#include <stdint.h>

#include "check.h"
#include "sizeclass.h"
#include "spanlab.h"

struct gclass {
    unsigned size, npages;
};

static int derive(struct gclass *out) {
    int n = 1; /* class 0 */
    out[0] = (struct gclass){0, 0};
    unsigned align = 8;
    for (unsigned size = align; size <= SL_MAX_SMALL_SIZE; size += align) {
        if ((size & (size - 1)) == 0) {
            if (size >= 2048)
                align = 256;
            else if (size >= 128)
                align = size / 8;
            else if (size >= 32)
                align = 16;
        }
        unsigned alloc = SL_PAGE_SIZE;
        while (alloc % size > alloc / 8)
            alloc += SL_PAGE_SIZE;
        unsigned npages = alloc / SL_PAGE_SIZE;
        if (n > 1 && npages == out[n - 1].npages && alloc / size == alloc / out[n - 1].size) {
            out[n - 1].size = size;
            continue;
        }
        out[n++] = (struct gclass){size, npages};
    }
    for (int i = 1; i < n; i++) {
        unsigned psize = out[i].npages * SL_PAGE_SIZE;
        unsigned nsize = (psize / (psize / out[i].size)) & ~(SL_LARGE_SIZE_DIV - 1u);
        if (nsize > out[i].size)
            out[i].size = nsize;
    }
    return n;
}

int main(void) {
    struct gclass g[100];
    int n = derive(g);
    CHECK(n == SL_NUM_SIZE_CLASSES);
    for (int c = 1; c < n && c < SL_NUM_SIZE_CLASSES; c++) {
        CHECK_MSG(g[c].size == sl_class_to_size[c], "class %d size %u vs %u", c, g[c].size,
                  sl_class_to_size[c]);
        CHECK_MSG(g[c].npages == sl_class_to_npages[c], "class %d npages", c);
        CHECK(sl_class_to_nelems[c] == sl_class_to_npages[c] * SL_PAGE_SIZE / sl_class_to_size[c]);
    }
    /* Every small size maps to the smallest class that holds it. */
    for (unsigned size = 1; size <= SL_MAX_SMALL_SIZE; size++) {
        unsigned c = sl_size_to_class(size);
        unsigned want = 1;
        while (sl_class_to_size[want] < size)
            want++;
        if (c != want)
            CHECK_MSG(c == want, "size %u -> class %u, want %u", size, c, want);
    }
    CHECK(sl_spanclass(2, 1) == SL_TINY_SPAN_CLASS);
    /* divMul: exact object index for every byte offset of every class. */
    for (unsigned c = 1; c < SL_NUM_SIZE_CLASSES; c++) {
        unsigned size = sl_class_to_size[c], span = sl_class_to_npages[c] * SL_PAGE_SIZE;
        unsigned bad = 0;
        for (unsigned off = 0; off < span; off++)
            if (sl_divmul_index(off, sl_class_to_divmul[c]) != off / size)
                bad++;
        CHECK_MSG(bad == 0, "class %u: %u inexact offsets", c, bad);
    }
    /* Real allocations: usable size is the class size; above 32 KiB whole pages. */
    for (unsigned size = 1; size <= SL_MAX_SMALL_SIZE; size++) {
        void *p = sl_malloc(size);
        size_t u = sl_usable_size(p);
        if (u != sl_class_to_size[sl_size_to_class(size)])
            CHECK_MSG(0, "usable(malloc(%u)) = %zu", size, u);
        sl_free(p);
    }
    for (size_t size = SL_MAX_SMALL_SIZE + 1; size < (1u << 20); size += 4093) {
        void *p = sl_malloc(size);
        CHECK(sl_usable_size(p) == (size + SL_PAGE_SIZE - 1) / SL_PAGE_SIZE * SL_PAGE_SIZE);
        sl_free(p);
    }
    return check_done("sizeclass");
}
