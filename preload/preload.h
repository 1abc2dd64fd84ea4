/* Cross-file surface of libspanlab-preload.so. malloc.c holds the interposed malloc family;
 * startup.c chooses the variant from $SPANLAB_CENTRAL before main and prints the
 * $SPANLAB_STATS summary at exit. The allocator itself is alloc/ (spanlab.h).
 */
#ifndef SL_PRELOAD_H
#define SL_PRELOAD_H

#include <stddef.h>

/* glibc keeps cfree only as a compatibility symbol and no longer declares it; old
 * binaries still bind to it, so the preload library defines it too. */
void cfree(void *p);

#endif
