/* Every call into ck_stack for the ckstack variant; see ckstack_ops.h. Compiled with
 * -fno-sanitize=thread. The entries are span descriptors, which are type-stable, so the
 * plain read of a stale head's ->next inside trypop is always of mapped memory; a stale
 * snapshot then fails the 16-byte CAS on {head, generation}.
 */
#include "ckstack_ops.h"

#ifndef CK_F_STACK_TRYPOP_MPMC
#error "ck_stack_trypop_mpmc needs CK's asm port (CK_F_PR_CAS_PTR_2_VALUE); no CK_USE_CC_BUILTINS"
#endif

void sl_ckstack_ops_init(ck_stack_t *st) {
    ck_stack_init(st);
}

bool sl_ckstack_ops_trypush(ck_stack_t *st, ck_stack_entry_t *e) {
    return ck_stack_trypush_mpmc(st, e);
}

int sl_ckstack_ops_trypop(ck_stack_t *st, ck_stack_entry_t **out) {
    /* The MPMC pop: a CAS on {head, generation + 1}; never _upmc (ABA).
     * model ckstack.cc:pop_generation */
    if (ck_stack_trypop_mpmc(st, out))
        return 1;
    return ck_pr_load_ptr(&st->head) == NULL ? 0 : -1;
}

ck_stack_entry_t *sl_ckstack_ops_peek(ck_stack_t *st) {
    return ck_pr_load_ptr(&st->head);
}
