/* A shared library that loads but does not replace malloc: preloading it must fail the
 * cell (tests/harness/preload.sh), never measure glibc under its name. */
int slbench_test_nomalloc(void);

int slbench_test_nomalloc(void) {
    return 42;
}
