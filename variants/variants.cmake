# mcentral variants compiled into libspanlab, from the one list variants/variants.def:
# each `SL_VARIANT(name)` line there is the file variants/<name>.c here, and a name in
# SL_VARIANT_NAMES, from which tests/ registers every per-variant test.
set(SL_VARIANTS_DEF ${CMAKE_CURRENT_LIST_DIR}/variants.def)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${SL_VARIANTS_DEF})
file(STRINGS ${SL_VARIANTS_DEF} sl_variants_def_lines)
set(SL_VARIANT_NAMES "")
foreach(line IN LISTS sl_variants_def_lines)
    if(line MATCHES "^SL_VARIANT\\(([a-z][a-z0-9_]*)\\)$")
        list(APPEND SL_VARIANT_NAMES ${CMAKE_MATCH_1})
    elseif(NOT line MATCHES "^(/\\*| \\*|$)")
        message(FATAL_ERROR "variants/variants.def: not `SL_VARIANT(name)` nor a comment: ${line}")
    endif()
endforeach()
if(NOT SL_VARIANT_NAMES)
    message(FATAL_ERROR "variants/variants.def lists no variant")
endif()

set(SL_VARIANT_SOURCES variants/registry.c)
foreach(v IN LISTS SL_VARIANT_NAMES)
    list(APPEND SL_VARIANT_SOURCES variants/${v}.c)
endforeach()
# A variant's helper files, which a list line does not name.
# ckstack_ops.c holds every call into ck_stack: CK's cmpxchg16b is inline asm TSan cannot
# see, so it stays uninstrumented and ckstack.c annotates the hand-offs (libs-tsan.md 3.2).
# UBSan: ck_stack.h advances its `char *` generation counter from NULL (CK 0.7.1 idiom).
list(APPEND SL_VARIANT_SOURCES variants/ckstack_ops.c)
set_source_files_properties(variants/ckstack_ops.c PROPERTIES COMPILE_OPTIONS
    "-fno-sanitize=thread;-fno-sanitize=pointer-overflow")
