/* The results CSV (schema in results/README.md): `# key: value` metadata lines, a header,
 * one complete row per cell and repetition. Rows go to FILE.partial and are flushed one
 * by one; sl_bench_csv_close adds `# complete:` and renames the file to FILE, so FILE
 * exists only when the sweep finished, and an interrupted sweep leaves FILE.partial
 * holding only complete rows.
 */
#ifndef SL_BENCH_CSV_H
#define SL_BENCH_CSV_H

#include <stdio.h>

/* Column names, in order; NULL-terminated; at most SL_BENCH_CSV_MAX_COLUMNS (the sweep's
 * row buffers are that wide; sl_bench_csv_open refuses a longer list). */
#define SL_BENCH_CSV_MAX_COLUMNS 64
extern const char *const sl_bench_csv_columns[];

typedef struct sl_bench_csv {
    FILE *f;
    char path[4096];
    char partial[4200];
    unsigned ncols;
} sl_bench_csv_t;

/* Creates missing parent directories; 0 or a negative errno. */
int sl_bench_csv_open(sl_bench_csv_t *c, const char *path);
void sl_bench_csv_meta(sl_bench_csv_t *c, const char *key, const char *value);
void sl_bench_csv_header(sl_bench_csv_t *c);
/* values[i] for sl_bench_csv_columns[i]; NULL or "" = empty field. */
void sl_bench_csv_row(sl_bench_csv_t *c, const char *const *values);
int sl_bench_csv_close(sl_bench_csv_t *c, const char *summary);

/* One field with RFC 4180 quoting where it needs it. */
void sl_bench_csv_field(FILE *f, const char *v);
int sl_bench_csv_column(const char *name); /* index or -1 */

#endif
