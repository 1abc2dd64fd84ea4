/* SHA-256 (harness/sha256.c) against the FIPS 180-4 example vectors, every split of a
 * message across update calls, and a file digest. Unit test: no threads, no timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "sha256.h"

static void digest(const void *msg, size_t n, char hex[65]) {
    sl_sha256_t s;
    sl_sha256_init(&s);
    sl_sha256_update(&s, msg, n);
    sl_sha256_hex(&s, hex);
}

int main(void) {
    static const struct {
        const char *msg, *hex;
    } vec[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
         "klmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        digest(vec[i].msg, strlen(vec[i].msg), hex);
        CHECK_MSG(strcmp(hex, vec[i].hex) == 0, "message %zu: %s", i, hex);
    }

    /* One million 'a' (FIPS 180-4 long message), fed in uneven pieces. */
    static char million[1000000];
    memset(million, 'a', sizeof million);
    sl_sha256_t s;
    sl_sha256_init(&s);
    for (size_t off = 0, step = 1; off < sizeof million; off += step, step = step * 3 % 997 + 1)
        sl_sha256_update(&s, million + off,
                         off + step <= sizeof million ? step : sizeof million - off);
    sl_sha256_hex(&s, hex);
    CHECK_MSG(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
              "million a: %s", hex);

    /* Every two-piece split of a 130-byte message (the padding crosses a block) agrees. */
    char msg[130], whole[65];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char)(i * 7 + 1);
    for (size_t len = 0; len <= sizeof msg; len++) {
        digest(msg, len, whole);
        for (size_t cut = 0; cut <= len; cut++) {
            sl_sha256_init(&s);
            sl_sha256_update(&s, msg, cut);
            sl_sha256_update(&s, msg + cut, len - cut);
            sl_sha256_hex(&s, hex);
            CHECK_MSG(strcmp(hex, whole) == 0, "length %zu cut at %zu", len, cut);
        }
    }

    /* A file: same digest as the message, size reported; a missing file is an errno. */
    char path[] = "/tmp/sl_sha256_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, vec[1].msg, 3) == 3);
        close(fd);
        long long size = -1;
        CHECK(sl_sha256_file(path, hex, &size) == 0);
        CHECK(size == 3);
        CHECK(strcmp(hex, vec[1].hex) == 0);
        unlink(path);
        CHECK(sl_sha256_file(path, hex, &size) < 0);
    }
    return check_done("test_harness_sha256");
}
