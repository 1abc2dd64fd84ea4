/* The tiny allocator: pointer-free objects under 16 bytes share 16-byte blocks of the
 * tiny span class (Go's rules). Unlike Go, each object can be freed on its own: every
 * block has a word in its span's side table (tiny_words) --
 *   bits 0..15  : start offsets of objects freed (set by any thread, atomic OR)
 *   bits 16..31 : start offsets of objects placed, published when the cache lets go
 * The block is free when the placed mask is published and equals the freed mask; the
 * thread whose OR completes it frees the 16-byte slot. A plain 16-byte noscan object is
 * a block with one object at offset 0, published at once. */
#ifndef SL_TINY_H
#define SL_TINY_H

#include <stddef.h>

#include "mcache.h"

void *sl_tiny_alloc(size_t size);

/* Free the tiny object p in block idx of span s (tiny span class). */
void sl_tiny_free(sl_span_t *s, unsigned idx, uintptr_t p);

/* A 16-byte noscan object was allocated at p: publish it as a one-object block. */
void sl_tiny_note_whole(sl_span_t *s, uintptr_t p);

/* Usable bytes of the tiny object at p. */
size_t sl_tiny_usable(sl_span_t *s, unsigned idx, uintptr_t p);

/* The cache lets go of its current block (flush). */
void sl_tiny_release_current(sl_mcache_t *c);

#endif
