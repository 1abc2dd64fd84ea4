/* SHA-256 (FIPS 180-4) for the metadata that identifies a preloaded library. Computed in
 * the parent, which never preloads anything; no allocation, no child process.
 */
#ifndef SL_BENCH_SHA256_H
#define SL_BENCH_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sl_sha256 {
    uint32_t h[8];
    uint64_t bytes; /* message length so far */
    unsigned char block[64];
    size_t fill; /* bytes waiting in block */
} sl_sha256_t;

void sl_sha256_init(sl_sha256_t *s);
void sl_sha256_update(sl_sha256_t *s, const void *data, size_t n);
/* The digest as 64 lowercase hex digits and a NUL. */
void sl_sha256_hex(sl_sha256_t *s, char hex[65]);

/* Digest and size of a file; 0 or a negative errno. */
int sl_sha256_file(const char *path, char hex[65], long long *size);

#endif
