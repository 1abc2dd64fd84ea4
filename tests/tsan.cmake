# TSan canary (label tsan): the driver tests/tsan/canary.c is built in every
# configuration (`tsan_canary --list` prints the variants); its tests exist only in
# ThreadSanitizer builds, one per variant of variants/variants.def, where
# tests/tsan/run-canary runs the driver as a child: in a build with -DSL_TSAN_CANARY=ON
# (scripts/tsan makes one in build-tsan-canary/) tsan_canary_<variant> asserts that TSan
# reported the planted race at a `CANARY site` line of variants/<variant>.c; in a plain
# TSan build (build-tsan/) tsan_control_<variant> asserts that the same driver reports
# nothing.
add_executable(tsan_canary tsan/canary.c)
target_link_libraries(tsan_canary PRIVATE spanlab_static)
target_compile_options(tsan_canary PRIVATE ${SL_WARNINGS})

if(CMAKE_C_FLAGS MATCHES "-fsanitize=thread")
    if(SL_TSAN_CANARY)
        set(sl_tsan_kind canary)
        set(sl_tsan_mode "")
    else()
        set(sl_tsan_kind control)
        set(sl_tsan_mode --control)
    endif()
    foreach(v IN LISTS SL_VARIANT_NAMES)
        add_test(NAME tsan_${sl_tsan_kind}_${v}
                 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tsan/run-canary ${sl_tsan_mode}
                         $<TARGET_FILE:tsan_canary> ${v} 10)
        set_tests_properties(tsan_${sl_tsan_kind}_${v} PROPERTIES LABELS tsan TIMEOUT 200
                             ENVIRONMENT SL_TSAN_LOGDIR=${CMAKE_CURRENT_BINARY_DIR}/tsan-logs)
    endforeach()
endif()
