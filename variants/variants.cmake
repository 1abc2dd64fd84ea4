# mcentral variants compiled into libspanlab. Add a variant: its file here and its ops
# table in variants/registry.c; the conformance suite picks it up from the registry.
set(SL_VARIANT_SOURCES
    variants/registry.c
    variants/mutex.c)
