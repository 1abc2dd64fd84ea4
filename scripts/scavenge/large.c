/* After mimalloc-bench's malloc-large: 20 buffers; each iteration replaces a random one
 * with a new buffer of 5-25 MiB, every byte written. Usage: large [ITERATIONS=500] */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 500;
    enum { N = 20 };
    const size_t lo = 5u << 20, hi = 25u << 20;
    char *buf[N] = {0};
    uint64_t r = 42;
    for (int i = 0; i < iters; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((r >> 33) % N);
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        size_t size = lo + (size_t)((r >> 20) % (hi - lo));
        free(buf[k]);
        buf[k] = malloc(size);
        memset(buf[k], 1, size); /* not 0: malloc + memset 0 may become calloc */
    }
    for (int k = 0; k < N; k++)
        free(buf[k]);
    return 0;
}
