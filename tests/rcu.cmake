# The rcu variant's own test (label `variant`): a reader parked inside a read-side section
# on a span that is unlinked meanwhile; the span must not be relinked or reused before the
# reader leaves. It uses the hooks of variants/rcu_test.h, which only libspanlab-test.a
# has, so it links that, and it is built only while variants/variants.def lists rcu.
if(rcu IN_LIST SL_VARIANT_NAMES)
    add_executable(test_rcu_grace test_rcu_grace.c)
    target_link_libraries(test_rcu_grace PRIVATE spanlab_test)
    target_include_directories(test_rcu_grace PRIVATE ${PROJECT_SOURCE_DIR}/variants)
    target_compile_options(test_rcu_grace PRIVATE ${SL_WARNINGS})
    add_test(NAME rcu_grace COMMAND test_rcu_grace)
    set_tests_properties(rcu_grace PROPERTIES LABELS variant TIMEOUT 60)
endif()
