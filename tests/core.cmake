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
sl_core_test(test_internals unit)
sl_core_test(test_badinput unit)
sl_core_test(test_rss stress)
sl_core_test(test_scavenger unit)
# Registered once per variant (stress_<variant>) by variants.cmake.
sl_core_test(test_stress "")

add_executable(list_variants list_variants.c)
target_link_libraries(list_variants PRIVATE spanlab_static)
