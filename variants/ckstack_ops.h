/* The only calls into Concurrency Kit's ck_stack, for variants/ckstack.c. They live in
 * ckstack_ops.c, which is compiled with -fno-sanitize=thread (variants/variants.cmake):
 * CK's cmpxchg16b is inline asm that TSan cannot see, so the instrumented caller
 * annotates each hand-off instead (sl_tsan_release before push, sl_tsan_acquire after
 * pop). No variant logic here: each function is one CK operation.
 */
#ifndef SL_CKSTACK_OPS_H
#define SL_CKSTACK_OPS_H

#include <ck_stack.h>
#include <stdbool.h>

void sl_ckstack_ops_init(ck_stack_t *st);

/* One ck_stack_trypush_mpmc: false if the head CAS lost a race (nothing pushed). */
bool sl_ckstack_ops_trypush(ck_stack_t *st, ck_stack_entry_t *e);

/* One ck_stack_trypop_mpmc ({head, generation} 16-byte CAS): 1 and *out set when it
 * popped, 0 when the stack was empty, -1 when the CAS lost a race. */
int sl_ckstack_ops_trypop(ck_stack_t *st, ck_stack_entry_t **out);

/* The current head, no ordering (canary observer and diagnostics only). */
ck_stack_entry_t *sl_ckstack_ops_peek(ck_stack_t *st);

#endif
