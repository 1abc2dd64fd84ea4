/* The tiny allocator: pointer-free objects under 16 bytes share 16-byte blocks of the
 * tiny span class (Go's rules). Unlike Go, each object can be freed on its own: every
 * block has a word in its span's side table (tiny_words) --
 *   bits 0..15  : start offsets of objects freed (set by any thread, atomic OR)
 *   bits 16..31 : start offsets of objects placed, published when the cache lets go
 * The block is free when the placed mask is published and equals the freed mask; the
 * thread whose OR completes it frees the 16-byte slot. A plain 16-byte noscan object is
 * a block with one object at offset 0, published at once.
 * A second side-table array holds, per block, the offsets of the objects' last bytes; the
 * placing cache stores it (relaxed) with every object it places, before the pointer can
 * reach any other thread, so sl_tiny_usable knows every object's exact end even while
 * the block is still being filled (space after an object may yet be handed out). */
#ifndef SL_TINY_H
#define SL_TINY_H

#include <stddef.h>

#include "mcache.h"

void *sl_tiny_alloc(size_t size);

/* Free the tiny object p in block idx of span s (tiny span class). */
void sl_tiny_free(sl_span_t *s, unsigned idx, uintptr_t p);

/* A 16-byte noscan object was allocated at p: publish it as a one-object block. */
void sl_tiny_note_whole(sl_span_t *s, uintptr_t p);

/* Bytes of side table per block: the block word and the ends word. */
#define SL_TINY_SIDE_BYTES (sizeof(uint32_t) + sizeof(uint16_t))

/* A tiny span's ends words are zero (called when the span is set up). */
void sl_tiny_clear_ends(sl_span_t *s);

/* Usable bytes of the tiny object at p: exactly up to its last byte. */
size_t sl_tiny_usable(sl_span_t *s, unsigned idx, uintptr_t p);

/* The cache lets go of its current block (flush). */
void sl_tiny_release_current(sl_mcache_t *c);

#endif
