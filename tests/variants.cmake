# Per-variant tests (label `variant`): the conformance suite once per variant of
# variants/variants.def (SL_VARIANT_NAMES, from variants/variants.cmake) and policy
# registered in alloc/policy.c, and the payload stress (test_stress) once per pair
# via SPANLAB_CENTRAL=<variant>/<policy>, with the scavenger at its most aggressive (every
# free page released within a millisecond, no rate bound), so a release of a page in use
# shows up as a payload error.
# Sizes: SL_CONF_THREADS, SL_CONF_ITERS, SL_CONF_SECONDS, SL_CONF_ROUNDS (see the source).
# The span-return policies, from alloc/policy.c's `&sl_policy_<name>,` lines: every variant
# is tested under every policy (conformance_<variant>_<policy>, stress_<variant>_<policy>).
set(SL_POLICY_C ${PROJECT_SOURCE_DIR}/alloc/policy.c)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${SL_POLICY_C})
file(STRINGS ${SL_POLICY_C} sl_policy_lines REGEX "^[ \t]*&sl_policy_[a-z0-9_]+,")
set(SL_POLICY_NAMES "")
foreach(line IN LISTS sl_policy_lines)
    string(REGEX REPLACE "^[ \t]*&sl_policy_([a-z0-9_]+),.*$" "\\1" name "${line}")
    list(APPEND SL_POLICY_NAMES ${name})
endforeach()
# The internals and bad input keep their guarantees under every policy.
foreach(p IN LISTS SL_POLICY_NAMES)
    foreach(t internals badinput)
        add_test(NAME ${t}_${p} COMMAND test_${t})
        set_tests_properties(${t}_${p} PROPERTIES LABELS unit TIMEOUT 300
                             ENVIRONMENT SPANLAB_POLICY=${p})
    endforeach()
endforeach()

add_executable(test_conformance test_conformance.c)
target_link_libraries(test_conformance PRIVATE spanlab_static)
target_compile_options(test_conformance PRIVATE ${SL_WARNINGS})

foreach(v IN LISTS SL_VARIANT_NAMES)
    foreach(p IN LISTS SL_POLICY_NAMES)
        add_test(NAME conformance_${v}_${p} COMMAND test_conformance ${v}/${p})
        set_tests_properties(conformance_${v}_${p} PROPERTIES LABELS variant TIMEOUT 300)
        if(TARGET test_stress)
            add_test(NAME stress_${v}_${p} COMMAND test_stress)
            set_tests_properties(stress_${v}_${p} PROPERTIES LABELS "variant;stress" TIMEOUT 300
                                 ENVIRONMENT "SPANLAB_CENTRAL=${v}/${p};SPANLAB_SCAVENGE_MS=1;SPANLAB_DECAY_MS=0;SPANLAB_SCAVENGE_RATE=1048576")
        endif()
    endforeach()
    # The same suite, shorter, with stalls at the variant's stall points (alloc/stall.h):
    # 2000 per million passes of 20 us, sleeping. Results must not change; the suite also
    # checks that stalls happened.
    add_test(NAME conformance_stall_${v} COMMAND test_conformance ${v})
    set_tests_properties(conformance_stall_${v} PROPERTIES LABELS "variant;stall" TIMEOUT 300
                         ENVIRONMENT "SPANLAB_STALL_PPM=2000;SPANLAB_STALL_US=20;SPANLAB_STALL_MODE=sleep;SL_CONF_SECONDS=0.3;SL_CONF_ITERS=5000;SL_CONF_ROUNDS=100")
endforeach()

# Out of memory, per variant (label `fault`): the fault-injection walk (SL_FAULT_RUNS points
# per mode, SL_FAULT_ALL=1 for every point).
foreach(v IN LISTS SL_VARIANT_NAMES)
    add_test(NAME faults_${v} COMMAND test_faults ${v})
    set_tests_properties(faults_${v} PROPERTIES LABELS fault TIMEOUT 600)
endforeach()
if(TARGET test_limit)
    foreach(v IN LISTS SL_VARIANT_NAMES)
        add_test(NAME limit_${v} COMMAND test_limit ${v})
        set_tests_properties(limit_${v} PROPERTIES LABELS limit TIMEOUT 300)
    endforeach()
endif()
