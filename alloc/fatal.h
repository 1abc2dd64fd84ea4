/* Unrecoverable states and bad input: one line on stderr through write(2), then abort. */
#ifndef SL_FATAL_H
#define SL_FATAL_H

_Noreturn void sl_fatal_at(const char *file, const char *func, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A caller's mistake (bad free, double free): "spanlab: <message>" and abort, like glibc. */
_Noreturn void sl_report_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Diagnostics without malloc: formats into a fixed buffer and writes to fd 2. */
void sl_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line (newline added) on fd, from a fixed buffer, no prefix: for reports at exit. */
void sl_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define sl_fatal(...) sl_fatal_at(__FILE__, __func__, __LINE__, __VA_ARGS__)

#ifdef SL_DEBUG
#define sl_assert(cond) ((cond) ? (void)0 : sl_fatal("assertion failed: %s", #cond))
#else
#define sl_assert(cond) ((void)0)
#endif

#endif
