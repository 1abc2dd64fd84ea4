/* Diagnostics for an allocator: no malloc, no stdio buffers; one write(2) per message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fatal.h"

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void vmessage_fd(int fd, const char *prefix, const char *fmt, va_list ap) {
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s", prefix);
    if (n < 0)
        n = 0;
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    buf[len++] = '\n';
    write_all(fd, buf, len);
}

static void vmessage(const char *prefix, const char *fmt, va_list ap) {
    vmessage_fd(2, prefix, fmt, ap);
}

void sl_say(int fd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage_fd(fd, "", fmt, ap);
    va_end(ap);
}

void sl_message(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage("spanlab: ", fmt, ap);
    va_end(ap);
}

void sl_report_bad(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage("spanlab: ", fmt, ap);
    va_end(ap);
    abort();
}

void sl_fatal_at(const char *file, const char *func, int line, const char *fmt, ...) {
    char prefix[160];
    snprintf(prefix, sizeof prefix, "spanlab: fatal: %s:%d %s: ", file, line, func);
    va_list ap;
    va_start(ap, fmt);
    vmessage(prefix, fmt, ap);
    va_end(ap);
    abort();
}
