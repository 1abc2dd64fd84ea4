# mcentral variants compiled into libspanlab. Add a variant: its file here and its ops
# table in variants/registry.c; the conformance suite picks it up from the registry.
set(SL_VARIANT_SOURCES
    variants/registry.c
    variants/mutex.c
    variants/spin.c
    variants/ckstack.c
    variants/ckstack_ops.c
    variants/rcu.c
    variants/spanset.c)
# ckstack_ops.c holds every call into ck_stack: CK's cmpxchg16b is inline asm TSan cannot
# see, so it stays uninstrumented and ckstack.c annotates the hand-offs (libs-tsan.md 3.2).
# UBSan: ck_stack.h advances its `char *` generation counter from NULL (CK 0.7.1 idiom).
set_source_files_properties(variants/ckstack_ops.c PROPERTIES COMPILE_OPTIONS
    "-fno-sanitize=thread;-fno-sanitize=pointer-overflow")
