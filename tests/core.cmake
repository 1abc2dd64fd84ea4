# Core tests (label unit and stress). Paths are relative to tests/.
function(sl_core_test name label)
    add_executable(${name} ${name}.c)
    target_link_libraries(${name} PRIVATE spanlab_static)
    target_compile_options(${name} PRIVATE ${SL_WARNINGS})
    if(label)
        add_test(NAME ${name} COMMAND ${name})
        set_tests_properties(${name} PROPERTIES LABELS ${label} TIMEOUT 300)
    endif()
endfunction()

sl_core_test(test_sizeclass unit)
# Registered once per span-return policy (internals_<policy>, badinput_<policy>) by
# variants.cmake.
sl_core_test(test_internals "")
sl_core_test(test_badinput "")
sl_core_test(test_rss stress)
sl_core_test(test_scavenger unit)
# The SPANLAB_* rule for every variable of alloc/env.c, no getenv elsewhere, and the README's
# environment table.
sl_core_test(test_env "")
add_test(NAME env COMMAND test_env ${PROJECT_SOURCE_DIR})
set_tests_properties(env PROPERTIES LABELS unit TIMEOUT 300)
# Registered once per variant (stress_<variant>) by variants.cmake.
sl_core_test(test_stress "")

add_executable(list_variants list_variants.c)
target_link_libraries(list_variants PRIVATE spanlab_static)

# The fault-injection walk (label `fault`), once per variant: links libspanlab-test.a.
add_executable(test_faults test_faults.c)
target_link_libraries(test_faults PRIVATE spanlab_test)
target_compile_options(test_faults PRIVATE ${SL_WARNINGS})

# Out of memory under RLIMIT_AS (label `limit`), registered per variant by variants.cmake.
# Sanitizer runtimes keep their shadow in the same address space: plain builds only.
if(NOT CMAKE_C_FLAGS MATCHES "-fsanitize")
    sl_core_test(test_limit "")
endif()
