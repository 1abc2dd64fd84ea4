# Protocol models (label `model`): Relacy (relacy-dev) models of the hand-offs whose
# correctness rests on atomics, one program per model in tests/models/ (see model.hpp).
# Each test runs `model_<name> --self-check`: the faithful model must pass and every
# planted mutant must be caught. model_sites checks that each model's declared memory
# orders and steps are still those of the C code (tests/models/check-sites).
# Sizes: SL_MODEL_ITERS (iterations of Relacy's random scheduler per scenario).
# Relacy runs threads as fibers and cannot run under a sanitizer: plain builds only.
if(CMAKE_C_FLAGS MATCHES "-fsanitize")
    message(STATUS "model tests: not registered in a sanitizer build (run them from a plain one)")
    return()
endif()
find_path(RELACY_INCLUDE_DIR relacy/relacy.hpp)
if(NOT RELACY_INCLUDE_DIR)
    message(FATAL_ERROR "relacy/relacy.hpp not found: install relacy-dev (scripts/deps does)")
endif()

set(SL_MODELS park sweep home tiny ckstack spanset rcu)
foreach(m IN LISTS SL_MODELS)
    add_executable(model_${m} models/${m}.cc)
    target_include_directories(model_${m} SYSTEM PRIVATE ${RELACY_INCLUDE_DIR})
    target_include_directories(model_${m} PRIVATE models)
    set_target_properties(model_${m} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
    # Relacy's headers are not -Wshadow clean; the models themselves are -Wall -Wextra.
    target_compile_options(model_${m} PRIVATE -O1 -Wall -Wextra)
    add_test(NAME model_${m} COMMAND model_${m} --self-check)
    set_tests_properties(model_${m} PROPERTIES LABELS model TIMEOUT 600)
endforeach()
add_test(NAME model_sites COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/models/check-sites
                                  ${PROJECT_SOURCE_DIR})
set_tests_properties(model_sites PROPERTIES LABELS model TIMEOUT 60)
# scripts/mutants --list: every planted bug's text is still in the tree (a mutant whose
# code was edited away would test nothing; fix its text in scripts/mutants).
add_test(NAME mutants_current COMMAND python3 ${PROJECT_SOURCE_DIR}/scripts/mutants --list)
set_tests_properties(mutants_current PROPERTIES LABELS model TIMEOUT 60)
