/* Cross-file functions of malloc.c, init.c and bootstrap.c. */
#ifndef SL_MALLOC_INTERNAL_H
#define SL_MALLOC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

/* "malloc.c" */
/* An object of span class spc from this thread's cache; *span_out gets its span. */
void *sl_alloc_spc(unsigned spc, bool zero, sl_span_t **span_out);
/* Free slot idx of small span s (owner-local or remote). */
void sl_free_slot(sl_span_t *s, unsigned idx);
/* Allocations answered NULL + ENOMEM for lack of memory so far. */
uint64_t sl_malloc_enomem(void);

/* "init.c" */
/* 1 once the allocator is initialised; 0 while this very thread initialises it (the
 * caller must use the bootstrap arena); -1 with errno set when initialisation failed for
 * lack of memory (the next call tries again); otherwise waits for another thread's init. */
int sl_ensure_init(void);
/* The gate before a first allocation: true when the allocator is ready; otherwise false and
 * *early is the answer to this request (a bootstrap block while this thread initialises,
 * or NULL with errno = ENOMEM). */
bool sl_init_gate(size_t size, size_t align, void **early);

/* "bootstrap.c" */
/* A block of the bootstrap arena (NULL + ENOMEM when it is full); only the initialising
 * thread calls it, under the init lock. */
void *sl_bootstrap_alloc(size_t size, size_t align);
bool sl_bootstrap_owns(const void *p);
size_t sl_bootstrap_usable(const void *p);

#endif
