/* A drop: allocate 512 MiB in objects of 64 B .. 64 KiB, free the later 3/4 (a phase
 * ends), then stay idle and print RSS (MiB) every 250 ms for 5 s. Live after the drop:
 * 128 MiB of objects, so RSS should come back near 130 MiB; an allocator that returns
 * memory on its own shows how fast. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static long rss_kib(void) {
    long a = 0, b = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &a, &b) != 2)
            b = 0;
        fclose(f);
    }
    return b * (sysconf(_SC_PAGESIZE) / 1024);
}
int main(void) {
    enum { MAX = 1 << 20 };
    static char *p[MAX];
    static size_t sz[MAX];
    size_t total = 0, n = 0;
    unsigned long r = 1;
    long base = rss_kib();
    while (total < (512u << 20) && n < MAX) {
        r = r * 6364136223846793005ul + 1442695040888963407ul;
        size_t s = 64 + (r >> 33) % ((r >> 20) % 8 == 0 ? 65536 : 4096);
        p[n] = malloc(s);
        memset(p[n], 1, s);
        sz[n] = s;
        total += s;
        n++;
    }
    size_t keep = 0, live = 0;
    for (size_t i = 0; i < n; i++) {
        if (live < total / 4) {
            live += sz[i];
            keep = i + 1;
        }
    }
    long peak = rss_kib();
    for (size_t i = keep; i < n; i++)
        free(p[i]);
    printf("base %.0f peak %.0f live %.0f MiB; after drop:", base / 1024.0, peak / 1024.0,
           live / 1048576.0);
    for (int t = 0; t <= 20; t++) {
        printf(" %.0f", rss_kib() / 1024.0);
        fflush(stdout);
        usleep(250000);
    }
    printf("\n");
    return 0;
}
