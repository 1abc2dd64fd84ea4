# Real programs under libspanlab-preload.so (label preload): each job runs once without the
# library and once under every registered variant/policy pair, and the outputs must match.
# The driver (preload/run-programs.sh) prints one line per run with both wall times. preload.deps
# installs the Debian packages the jobs need (python3 git perl sqlite3 gcc g++ coreutils).
# A sanitizer runtime must be the first library of a process and owns malloc itself, so a
# preloaded, instrumented spanlab cannot serve real programs: the tests need a plain build.
if(CMAKE_C_FLAGS MATCHES "-fsanitize")
    message(STATUS "preload tests: not registered in a sanitizer build (run them from a plain one)")
    return()
endif()
add_executable(preload_variants preload/variants.c)
target_link_libraries(preload_variants PRIVATE spanlab_static)

# The programs themselves use the system's malloc family; the driver preloads spanlab.
add_executable(preload_check preload/check.c)
target_link_libraries(preload_check PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
target_compile_options(preload_check PRIVATE -fno-builtin)
target_include_directories(preload_check PRIVATE ${PROJECT_SOURCE_DIR}/alloc) # struct sl_stats
add_executable(preload_forks preload/programs/forks.c)
target_link_libraries(preload_forks PRIVATE Threads::Threads)
add_executable(preload_threads preload/programs/threads.cc)
target_link_libraries(preload_threads PRIVATE Threads::Threads)
set_target_properties(preload_check preload_forks preload_variants preload_threads PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/preload)

set(SL_PRELOAD_DRIVER ${CMAKE_CURRENT_SOURCE_DIR}/preload/run-programs.sh)
add_test(NAME preload.deps COMMAND bash ${SL_PRELOAD_DRIVER} deps - -)
set_tests_properties(preload.deps PROPERTIES LABELS preload FIXTURES_SETUP preload_tools)
foreach(job check python oom sort gcc git perl sqlite cxx forks)
    add_test(NAME preload.${job}
        COMMAND bash ${SL_PRELOAD_DRIVER} ${job} $<TARGET_FILE:spanlab_preload>
                ${CMAKE_CURRENT_BINARY_DIR}/preload)
    set_tests_properties(preload.${job} PROPERTIES
        LABELS preload FIXTURES_REQUIRED preload_tools TIMEOUT 600)
endforeach()
