# slbench tests (label `harness`): histogram, CSV and interval units, option parsing and
# error exits, CSV well-formedness after a short sweep, failure recording, repetitions
# until confident, the statistics of scripts/slstats.py and scripts/compare on synthetic
# data, and an end-to-end sweep that plots. Paths are relative to tests/.
add_executable(test_harness_hist harness/test_hist.c ../harness/hist.c ../harness/csv.c)
target_include_directories(test_harness_hist PRIVATE ../harness ../alloc) # csv.c: spanlab.h
target_compile_options(test_harness_hist PRIVATE ${SL_WARNINGS})
target_link_libraries(test_harness_hist PRIVATE m)
add_test(NAME harness_hist COMMAND test_harness_hist)
add_executable(test_harness_stats harness/test_stats.c ../harness/stats.c)
target_include_directories(test_harness_stats PRIVATE ../harness)
target_compile_options(test_harness_stats PRIVATE ${SL_WARNINGS})
target_link_libraries(test_harness_stats PRIVATE m)
add_test(NAME harness_stats COMMAND test_harness_stats)
add_test(NAME harness_slstats
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/harness/test_slstats.py ${PROJECT_SOURCE_DIR})

add_test(NAME harness_cli COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/cli.sh $<TARGET_FILE:slbench>)
add_test(NAME harness_csv
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/e2e.sh $<TARGET_FILE:slbench> ${PROJECT_SOURCE_DIR} csv)
add_test(NAME harness_failure
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/e2e.sh $<TARGET_FILE:slbench> ${PROJECT_SOURCE_DIR} fail)
add_test(NAME harness_auto_repeat
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/e2e.sh $<TARGET_FILE:slbench> ${PROJECT_SOURCE_DIR} auto)
add_test(NAME harness_e2e_plot
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/e2e.sh $<TARGET_FILE:slbench> ${PROJECT_SOURCE_DIR} plot)
set_tests_properties(harness_hist harness_stats harness_slstats harness_cli harness_csv
    harness_failure harness_auto_repeat harness_e2e_plot PROPERTIES LABELS harness TIMEOUT 60)
set_tests_properties(harness_e2e_plot PROPERTIES SKIP_RETURN_CODE 77)
# A few seconds of CPU each (simulations, matplotlib), but on a shared 2-core machine under
# a load of 20 they have taken 35 s of wall time: the timeout only guards against a hang.
set_tests_properties(harness_slstats harness_e2e_plot PROPERTIES TIMEOUT 300)

# Peers and preload:NAME=PATH. The preload test builds its bad libraries itself (a
# truncated one, one whose dependency is missing) with the C compiler; the library that
# loads but does not replace malloc is this target.
add_executable(test_harness_sha256 harness/test_sha256.c ../harness/sha256.c)
target_include_directories(test_harness_sha256 PRIVATE ../harness)
target_compile_options(test_harness_sha256 PRIVATE ${SL_WARNINGS})
add_test(NAME harness_sha256 COMMAND test_harness_sha256)
add_library(slbench_test_nomalloc SHARED harness/nomalloc.c)
target_compile_options(slbench_test_nomalloc PRIVATE ${SL_WARNINGS})
add_test(NAME harness_peers COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/peers.sh $<TARGET_FILE:slbench>)
add_test(NAME harness_preload
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/preload.sh $<TARGET_FILE:slbench>
        $<TARGET_FILE:spanlab_preload> $<TARGET_FILE:slbench_test_nomalloc> ${CMAKE_C_COMPILER})
add_test(NAME harness_workloads
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/e2e.sh $<TARGET_FILE:slbench> ${PROJECT_SOURCE_DIR} published)
add_test(NAME harness_plot_compare
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/harness/e2e.sh $<TARGET_FILE:slbench> ${PROJECT_SOURCE_DIR} compare)
set_tests_properties(harness_sha256 harness_peers harness_preload harness_workloads
    harness_plot_compare PROPERTIES LABELS harness TIMEOUT 120)
set_tests_properties(harness_plot_compare PROPERTIES SKIP_RETURN_CODE 77)
