/* Per-thread counter blocks (see counters.h). Neighbours: central.c bumps and reads them,
 * mcache.c folds a thread's block at flush. */
#include <pthread.h>
#include <string.h>

#include "counters.h"
#include "os.h"

__thread sl_counters_block_t *sl_tls_counters;

static pthread_mutex_t counters_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_counters_block_t *live;  /* blocks of running threads; under counters_lock */
static sl_counters_block_t *spare; /* recycled, zeroed; under counters_lock */
static uint64_t folded[SL_NUM_SPAN_CLASSES][SL_CTR_N];   /* exited threads; under the lock */
static sl_counters_block_t shared_block = {.shared = 1}; /* when metadata runs out */

sl_counters_block_t *sl_counters_attach(void) {
    pthread_mutex_lock(&counters_lock);
    sl_counters_block_t *b = spare;
    if (b)
        spare = b->next;
    pthread_mutex_unlock(&counters_lock);
    if (!b && !(b = sl_os_meta_alloc(sizeof *b))) {
        sl_tls_counters = &shared_block;
        return &shared_block;
    }
    pthread_mutex_lock(&counters_lock);
    b->next = live;
    live = b;
    pthread_mutex_unlock(&counters_lock);
    sl_tls_counters = b;
    return b;
}

void sl_counters_read(unsigned spc, uint64_t out[SL_CTR_N]) {
    pthread_mutex_lock(&counters_lock);
    for (unsigned k = 0; k < SL_CTR_N; k++)
        out[k] = folded[spc][k] + sl_load_relaxed(&shared_block.v[spc][k]);
    for (sl_counters_block_t *b = live; b; b = b->next)
        for (unsigned k = 0; k < SL_CTR_N; k++)
            out[k] += sl_load_relaxed(&b->v[spc][k]);
    pthread_mutex_unlock(&counters_lock);
}

void sl_counters_thread_exit(void) {
    sl_counters_block_t *b = sl_tls_counters;
    if (!b || b->shared)
        return;
    sl_tls_counters = NULL;
    pthread_mutex_lock(&counters_lock);
    for (sl_counters_block_t **pp = &live; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    for (unsigned spc = 0; spc < SL_NUM_SPAN_CLASSES; spc++)
        for (unsigned k = 0; k < SL_CTR_N; k++) {
            folded[spc][k] += sl_load_relaxed(&b->v[spc][k]);
            sl_store_relaxed(&b->v[spc][k], 0);
        }
    b->next = spare;
    spare = b;
    pthread_mutex_unlock(&counters_lock);
}

void sl_counters_atfork_prepare(void) {
    pthread_mutex_lock(&counters_lock);
}

void sl_counters_atfork_parent(void) {
    pthread_mutex_unlock(&counters_lock);
}

void sl_counters_atfork_child(void) {
    pthread_mutex_init(&counters_lock, NULL);
}
