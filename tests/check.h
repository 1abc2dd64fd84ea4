/* Assertions and small helpers for every ctest executable (header only, all static).
 *   CHECK(cond), CHECK_MSG(cond, fmt, ...)  count a failure, print it, go on; the test
 *                                           ends with `return check_done("name");`
 *   REQUIRE(cond, fmt, ...)                 stop at the first failure: print it (or hand
 *                                           it to check_on_fail) and _exit(1)
 *   FAIL(fmt, ...)                          the same, unconditionally
 * A failure reads `FAIL file:line: cond: message`. A test that runs checks in forked
 * children sets check_on_fail to record the line where its parent reads it. */
#ifndef SL_TEST_CHECK_H
#define SL_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((unused)) static unsigned long check_passed, check_failed;

/* Called with the failure line before REQUIRE exits; NULL: print it on stderr. */
__attribute__((unused)) static void (*check_on_fail)(const char *line);

/* Prints or hands on one failure line: `FAIL file:line: cond[: detail]`. */
static inline void check_fail_line(const char *file, int line, const char *cond,
                                   const char *detail) {
    char msg[640];
    const char *base = strrchr(file, '/');
    snprintf(msg, sizeof msg, "FAIL %s:%d: %s%s%s", base ? base + 1 : file, line, cond ? cond : "",
             cond && detail ? ": " : "", detail ? detail : "");
    if (check_on_fail) {
        check_on_fail(msg);
    } else {
        fflush(stdout);
        fprintf(stderr, "%s\n", msg);
        fflush(stderr);
    }
}

__attribute__((format(printf, 4, 5))) static inline void
check_report(const char *file, int line, const char *cond, const char *fmt, ...) {
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    check_fail_line(file, line, cond, detail);
}

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed++;                                                                        \
        } else if (++check_failed <= 20) {                                                         \
            check_report(__FILE__, __LINE__, #cond, __VA_ARGS__);                                  \
        }                                                                                          \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed++;                                                                        \
        } else if (++check_failed <= 20) {                                                         \
            check_fail_line(__FILE__, __LINE__, #cond, NULL);                                      \
        }                                                                                          \
    } while (0)

#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            check_report(__FILE__, __LINE__, #cond, __VA_ARGS__);                                  \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        check_report(__FILE__, __LINE__, NULL, __VA_ARGS__);                                       \
        _exit(1);                                                                                  \
    } while (0)

static inline int check_done(const char *name) {
    printf("%s: %lu passed, %lu failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* Runs body(arg) in a forked child and exits with what it returns; the child's stderr is
 * kept in err (NUL-terminated, the first errlen - 1 bytes). Returns the child's wait
 * status, or -1 if none could start. */
static inline int check_child(int (*body)(void *arg), void *arg, char *err, size_t errlen) {
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        _exit(body(arg));
    }
    close(fds[1]);
    size_t got = 0;
    char rest[256];
    for (;;) { /* all of it, so the child never blocks on a full pipe */
        ssize_t n = got + 1 < errlen ? read(fds[0], err + got, errlen - 1 - got)
                                     : read(fds[0], rest, sizeof rest);
        if (n <= 0)
            break;
        if (got + 1 < errlen)
            got += (size_t)n;
    }
    err[got] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return status;
}

/* Lines in text (newlines). */
static inline int check_lines(const char *text) {
    int lines = 0;
    for (; *text; text++)
        lines += *text == '\n';
    return lines;
}

/* Monotonic seconds. */
static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Size knobs from the environment, so CI runs short and a person can soak. */
static inline long env_long(const char *name, long dflt) {
    const char *e = getenv(name);
    return e && *e ? strtol(e, NULL, 10) : dflt;
}

/* Resident set size of this process in KiB (/proc/self/statm). */
static inline long rss_kib(void) {
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

#endif
