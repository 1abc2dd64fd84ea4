/* Size classes: Go's table (generated into sizeclasses.c) and the size -> class lookup. */
#ifndef SL_SIZECLASS_H
#define SL_SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#define SL_PAGE_SHIFT        13
#define SL_PAGE_SIZE         ((size_t)1 << SL_PAGE_SHIFT) /* 8 KiB */
#define SL_NUM_SIZE_CLASSES  68
#define SL_NUM_SPAN_CLASSES  (SL_NUM_SIZE_CLASSES << 1)
#define SL_FIRST_SPAN_CLASS  2 /* 0 and 1 are size class 0: large objects, in no mcentral */
#define SL_MAX_SMALL_SIZE    32768
#define SL_SMALL_SIZE_DIV    8
#define SL_SMALL_SIZE_MAX    1024
#define SL_LARGE_SIZE_DIV    128
#define SL_MAX_OBJS_PER_SPAN 1024
#define SL_TINY_SIZE         16
#define SL_TINY_SIZE_CLASS   2
#define SL_TINY_SPAN_CLASS   5 /* (SL_TINY_SIZE_CLASS << 1) | noscan */

extern const uint32_t sl_class_to_size[SL_NUM_SIZE_CLASSES];
extern const uint8_t sl_class_to_npages[SL_NUM_SIZE_CLASSES];
extern const uint16_t sl_class_to_nelems[SL_NUM_SIZE_CLASSES];
extern const uint32_t sl_class_to_divmul[SL_NUM_SIZE_CLASSES];
extern const uint8_t sl_size_to_class8[SL_SMALL_SIZE_MAX / SL_SMALL_SIZE_DIV + 1];
extern const uint8_t
    sl_size_to_class128[(SL_MAX_SMALL_SIZE - SL_SMALL_SIZE_MAX) / SL_LARGE_SIZE_DIV + 1];

/* Class of a small size (1 .. SL_MAX_SMALL_SIZE), as mallocgc computes it. */
static inline unsigned sl_size_to_class(size_t size) {
    if (size <= SL_SMALL_SIZE_MAX - 8)
        return sl_size_to_class8[(size + SL_SMALL_SIZE_DIV - 1) / SL_SMALL_SIZE_DIV];
    return sl_size_to_class128[(size - SL_SMALL_SIZE_MAX + SL_LARGE_SIZE_DIV - 1) /
                               SL_LARGE_SIZE_DIV];
}

static inline unsigned sl_spanclass(unsigned sizeclass, int noscan) {
    return (sizeclass << 1) | (noscan ? 1u : 0u);
}

static inline unsigned sl_spanclass_sizeclass(unsigned spc) {
    return spc >> 1;
}

/* Exact object index of a byte offset in a span of the class with this divMul. */
static inline uint32_t sl_divmul_index(uintptr_t offset, uint32_t divmul) {
    return (uint32_t)(((uint64_t)offset * divmul) >> 32);
}

#endif
