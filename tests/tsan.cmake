# TSan canary (label tsan): the driver tests/tsan/canary.c is built in every
# configuration (`tsan_canary --list` prints the variants); its tests exist only in a
# ThreadSanitizer build with -DSL_TSAN_CANARY=ON (scripts/tsan makes one in
# build-tsan-canary/), one per registered variant: tests/tsan/run-canary runs the driver
# as a child and asserts that TSan reported a race in variants/<variant>.c.
add_executable(tsan_canary tsan/canary.c)
target_link_libraries(tsan_canary PRIVATE spanlab_static)
target_compile_options(tsan_canary PRIVATE ${SL_WARNINGS})

if(SL_TSAN_CANARY AND CMAKE_C_FLAGS MATCHES "-fsanitize=thread")
    if(NOT SL_VARIANT_NAMES)
        file(STRINGS ${PROJECT_SOURCE_DIR}/variants/registry.c sl_tsan_lines
             REGEX "^[ \t]*&sl_central_[a-z0-9_]+,")
        foreach(line IN LISTS sl_tsan_lines)
            string(REGEX REPLACE "^[ \t]*&sl_central_([a-z0-9_]+),.*$" "\\1" name "${line}")
            list(APPEND SL_VARIANT_NAMES ${name})
        endforeach()
    endif()
    foreach(v IN LISTS SL_VARIANT_NAMES)
        add_test(NAME tsan_canary_${v}
                 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/tsan/run-canary
                         $<TARGET_FILE:tsan_canary> ${v} 30)
        set_tests_properties(tsan_canary_${v} PROPERTIES LABELS tsan TIMEOUT 200
                             ENVIRONMENT SL_TSAN_LOGDIR=${CMAKE_CURRENT_BINARY_DIR}/tsan-logs)
    endforeach()
endif()
