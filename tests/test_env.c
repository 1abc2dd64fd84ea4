/* The SPANLAB_* environment has one rule (alloc/env.h), and this test holds every variable
 * of alloc/env.c's table to it: for each one, in a fresh child, a bad value makes sl_init
 * fail with exactly one line naming the variable and the value, and the bounds and words it
 * accepts pass. `test_env SOURCE_DIR` also checks that the table is the one place: no file
 * of alloc/, preload/ or variants/ but env.c calls getenv, and README.md's environment table
 * has a row for every variable and no other.
 */
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "env.h"
#include "spanlab.h"

struct setting {
    const char *name, *value;
};

/* In the child: sl_init(NULL) with name=value; 0 if it succeeds, 3 if it fails. */
static int init_with(void *arg) {
    const struct setting *set = arg;
    setenv(set->name, set->value, 1);
    return sl_init(NULL) == 0 ? 0 : 3;
}

/* init_with in a child: its exit code (128 + signal if killed) and its stderr. */
static int run_init(const char *name, const char *value, char *err, size_t errlen) {
    struct setting set = {name, value};
    int status = check_child(init_with, &set, err, errlen);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void expect_bad(sl_env_var_t v, const char *value) {
    char err[1024];
    const char *name = sl_env_name(v);
    int rc = run_init(name, value, err, sizeof err);
    CHECK_MSG(rc == 3, "%s='%s' accepted (exit %d)", name, value, rc);
    CHECK_MSG(strncmp(err, "spanlab: ", 9) == 0 && strstr(err, name) && strstr(err, value) &&
                  check_lines(err) == 1,
              "%s='%s': message '%s'", name, value, err);
}

static void expect_good(sl_env_var_t v, const char *value) {
    char err[1024];
    int rc = run_init(sl_env_name(v), value, err, sizeof err);
    CHECK_MSG(rc == 0 && !err[0], "%s='%s' refused (exit %d): %s", sl_env_name(v), value, rc, err);
}

static void check_rule(void) {
    for (int i = 0; i < SL_ENV_COUNT; i++) {
        sl_env_var_t v = (sl_env_var_t)i;
        char num[32];
        expect_bad(v, "no_such_value");
        if (v == SL_ENV_CENTRAL || v == SL_ENV_POLICY) {
            expect_good(v, v == SL_ENV_CENTRAL ? "mutex" : "eager");
            continue;
        }
        expect_bad(v, "-1");
        expect_bad(v, "1x");
        expect_bad(v, " 1");
        expect_bad(v, "99999999999999999999999");
        unsigned lo, hi;
        bool numbers = sl_env_range(v, &lo, &hi);
        if (numbers) {
            snprintf(num, sizeof num, "%u", lo);
            expect_good(v, num);
            snprintf(num, sizeof num, "%u", hi);
            expect_good(v, num);
            snprintf(num, sizeof num, "%lu", (unsigned long)hi + 1);
            expect_bad(v, num);
            if (lo > 0) {
                snprintf(num, sizeof num, "%u", lo - 1);
                expect_bad(v, num);
            }
        } else {
            expect_bad(v, "0");
        }
        for (int w = 0; sl_env_word(v, w); w++) {
            char word[32];
            snprintf(word, sizeof word, "%s", sl_env_word(v, w));
            expect_good(v, word);
            word[0] = (char)(word[0] - 'a' + 'A'); /* words are exact */
            expect_bad(v, word);
        }
        CHECK_MSG(numbers || sl_env_word(v, 0), "%s accepts nothing", sl_env_name(v));
    }
}

/* No getenv outside alloc/env.c in the allocator's folders. */
static void check_one_place(const char *root) {
    static const char *const dirs[] = {"alloc", "preload", "variants"};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", root, dirs[d]);
        DIR *dir = opendir(path);
        CHECK_MSG(dir != NULL, "cannot open %s", path);
        if (!dir)
            continue;
        for (struct dirent *e; (e = readdir(dir));) {
            size_t n = strlen(e->d_name);
            if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0 || strcmp(e->d_name, "env.c") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s/%s", root, dirs[d], e->d_name);
            FILE *f = fopen(path, "r");
            char line[1024];
            for (int no = 1; f && fgets(line, sizeof line, f); no++)
                CHECK_MSG(!strstr(line, "getenv("), "%s:%d reads the environment itself: %s", path,
                          no, line);
            if (f)
                fclose(f);
        }
        closedir(dir);
    }
}

/* README.md's environment table: one row `| `SPANLAB_X` | ...` per variable. */
static void check_readme(const char *root) {
    char path[PATH_MAX], line[2048];
    snprintf(path, sizeof path, "%s/README.md", root);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot read %s", path);
    if (!f)
        return;
    int rows[SL_ENV_COUNT] = {0};
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "| `SPANLAB_", 11) != 0)
            continue;
        int known = 0;
        for (int i = 0; i < SL_ENV_COUNT; i++) {
            size_t n = strlen(sl_env_name((sl_env_var_t)i));
            if (strncmp(line + 3, sl_env_name((sl_env_var_t)i), n) == 0 && line[3 + n] == '`') {
                rows[i]++;
                known = 1;
            }
        }
        CHECK_MSG(known, "README.md row for a variable env.c does not know: %s", line);
    }
    fclose(f);
    for (int i = 0; i < SL_ENV_COUNT; i++)
        CHECK_MSG(rows[i] == 1, "README.md has %d rows for %s (want 1)", rows[i],
                  sl_env_name((sl_env_var_t)i));
}

int main(int argc, char **argv) {
    for (int i = 0; i < SL_ENV_COUNT; i++)
        unsetenv(sl_env_name((sl_env_var_t)i));
    check_rule();
    if (argc > 1) {
        check_one_place(argv[1]);
        check_readme(argv[1]);
    }
    return check_done("env");
}
