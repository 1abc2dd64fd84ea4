/* Results CSV writer (csv.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "spanlab.h"

/* The columns, in order. The mcentral counters (SL_CENTRAL_COUNTERS, spanlab.h) stand in
 * three runs, each where the schema that added it put it, and a column added later goes at
 * the end: a reader of an older schema by position keeps working. */
#define CSV_COUNTER(name, kind) #name,
const char *const sl_bench_csv_columns[] = {
    "allocator",
    "variant",
    "workload",
    "threads",
    "rep",
    "seconds",
    "ops",
    "mops_per_s",
    "lat_p50_ns",
    "lat_p90_ns",
    "lat_p99_ns",
    "lat_p999_ns",
    "lat_max_ns",
    "rss_peak_kib",
    "status",
    "cpu_seconds",
    "mops_per_cpu_s",
    "lat_samples",
    "rss_final_kib",
    "load_start",
    "load_end",
    "stop",
    "ci_pct",
    "minor_faults",
    SL_CENTRAL_COUNTERS_1(CSV_COUNTER) /* schema 1 */
    "scav_releases",
    "scav_pages_released",
    "scav_pages_refaulted",
    SL_CENTRAL_COUNTERS_2(CSV_COUNTER) /* schema 2 */
    "params",
    "extra",
    "policy",                          /* schema 2, after the schema 1 columns */
    SL_CENTRAL_COUNTERS_3(CSV_COUNTER) /* schema 3 and later */
    NULL,
};
#undef CSV_COUNTER

int sl_bench_csv_column(const char *name) {
    for (int i = 0; sl_bench_csv_columns[i]; i++)
        if (strcmp(sl_bench_csv_columns[i], name) == 0)
            return i;
    return -1;
}

static int csv_mkdirs(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

int sl_bench_csv_open(sl_bench_csv_t *c, const char *path) {
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    snprintf(c->partial, sizeof c->partial, "%s.partial", path);
    int rc = csv_mkdirs(c->path);
    if (rc)
        return rc;
    while (sl_bench_csv_columns[c->ncols])
        c->ncols++;
    if (c->ncols > SL_BENCH_CSV_MAX_COLUMNS)
        return -E2BIG;
    c->f = fopen(c->partial, "w");
    if (!c->f)
        return -errno;
    return 0;
}

void sl_bench_csv_field(FILE *f, const char *v) {
    if (!v)
        return;
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

void sl_bench_csv_meta(sl_bench_csv_t *c, const char *key, const char *value) {
    fprintf(c->f, "# %s: ", key);
    for (; *value; value++) /* one line, whatever the value holds */
        fputc(*value == '\n' || *value == '\r' ? ' ' : *value, c->f);
    fputc('\n', c->f);
}

void sl_bench_csv_header(sl_bench_csv_t *c) {
    for (unsigned i = 0; i < c->ncols; i++) {
        if (i)
            fputc(',', c->f);
        fputs(sl_bench_csv_columns[i], c->f);
    }
    fputc('\n', c->f);
    fflush(c->f);
}

void sl_bench_csv_row(sl_bench_csv_t *c, const char *const *values) {
    for (unsigned i = 0; i < c->ncols; i++) {
        if (i)
            fputc(',', c->f);
        sl_bench_csv_field(c->f, values[i]);
    }
    fputc('\n', c->f);
    fflush(c->f);
}

int sl_bench_csv_close(sl_bench_csv_t *c, const char *summary) {
    sl_bench_csv_meta(c, "complete", summary);
    if (fclose(c->f) != 0)
        return -errno;
    c->f = NULL;
    if (rename(c->partial, c->path) != 0)
        return -errno;
    return 0;
}
