/* Facts about the machine and the process for CSV metadata and memory columns. */
#ifndef SL_BENCH_SYSINFO_H
#define SL_BENCH_SYSINFO_H

#include <stddef.h>

long sl_sysinfo_rss_kib(void);      /* resident set now (/proc/self/statm) */
long sl_sysinfo_rss_peak_kib(void); /* high-water mark (getrusage ru_maxrss) */
void sl_sysinfo_cpu_model(char *out, size_t n);
long sl_sysinfo_cores(void);
void sl_sysinfo_kernel(char *out, size_t n);
void sl_sysinfo_host(char *out, size_t n);
void sl_sysinfo_git_revision(char *out, size_t n); /* "abc123def456[-dirty]" or "unknown" */
void sl_sysinfo_date(char *out, size_t n);         /* ISO 8601, local time with offset */

#endif
