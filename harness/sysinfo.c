/* Machine and process facts (sysinfo.h): /proc, uname, getrusage and git. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sysinfo.h"

#ifndef SLBENCH_SOURCE_DIR
#define SLBENCH_SOURCE_DIR "."
#endif

long sl_sysinfo_rss_kib(void) {
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long sl_sysinfo_rss_peak_kib(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* Linux: KiB */
}

void sl_sysinfo_cpu_model(char *out, size_t n) {
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    snprintf(out, n, "unknown");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (colon && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0)) {
            colon += strspn(colon + 1, " \t") + 1;
            colon[strcspn(colon, "\n")] = 0;
            snprintf(out, n, "%s", colon);
            break;
        }
    }
    fclose(f);
}

long sl_sysinfo_cores(void) {
    return sysconf(_SC_NPROCESSORS_ONLN);
}

void sl_sysinfo_kernel(char *out, size_t n) {
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(out, n, "%s %s %s", u.sysname, u.release, u.machine);
    else
        snprintf(out, n, "unknown");
}

void sl_sysinfo_host(char *out, size_t n) {
    if (gethostname(out, n) != 0)
        snprintf(out, n, "unknown");
    out[n - 1] = 0;
}

static int sysinfo_run(const char *cmd, char *out, size_t n) {
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    out[0] = 0;
    if (!fgets(out, (int)n, p))
        out[0] = 0;
    int rc = pclose(p);
    out[strcspn(out, "\n")] = 0;
    return rc;
}

void sl_sysinfo_git_revision(char *out, size_t n) {
    char dirty[64];
    if (sysinfo_run("git -C '" SLBENCH_SOURCE_DIR "' rev-parse --short=12 HEAD 2>/dev/null", out,
                    n) != 0 ||
        !out[0]) {
        snprintf(out, n, "unknown");
        return;
    }
    if (sysinfo_run("git -C '" SLBENCH_SOURCE_DIR
                    "' status --porcelain --untracked-files=no 2>/dev/null | head -1",
                    dirty, sizeof dirty) == 0 &&
        dirty[0] && strlen(out) + 7 < n)
        strcat(out, "-dirty");
}

void sl_sysinfo_date(char *out, size_t n) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%S%z", &tm);
}
