/* Compiled by gcc under the allocator in the preload tests; the assembly and the program's
 * output are compared with a run without it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *left, *right;
    char key[24];
    int count;
};

static struct node *insert(struct node *t, const char *key) {
    if (t == NULL) {
        t = calloc(1, sizeof *t);
        strncpy(t->key, key, sizeof t->key - 1);
        t->count = 1;
        return t;
    }
    int c = strcmp(key, t->key);
    if (c < 0)
        t->left = insert(t->left, key);
    else if (c > 0)
        t->right = insert(t->right, key);
    else
        t->count++;
    return t;
}

static int walk(const struct node *t, int depth, unsigned long *hash) {
    if (t == NULL)
        return depth;
    int l = walk(t->left, depth + 1, hash);
    *hash = *hash * 131 + (unsigned long)t->count + (unsigned char)t->key[0];
    int r = walk(t->right, depth + 1, hash);
    return l > r ? l : r;
}

/* The trailing enum makes each use a declaration that ends in a semicolon. */
#define GEN(n)                                                                                     \
    static double f##n(double x) {                                                                 \
        double s = 0;                                                                              \
        for (int i = 0; i < 100; i++)                                                              \
            s += (x + i * n) / (1.0 + i % (n + 3));                                                \
        return s;                                                                                  \
    }                                                                                              \
    enum { gen_##n = n }
GEN(1);
GEN(2);
GEN(3);
GEN(4);
GEN(5);
GEN(6);
GEN(7);
GEN(8);
GEN(9);
GEN(10);
GEN(11);
GEN(12);
GEN(13);
GEN(14);
GEN(15);
GEN(16);
GEN(17);
GEN(18);
GEN(19);
GEN(20);
GEN(21);
GEN(22);
GEN(23);

int main(void) {
    struct node *root = NULL;
    char buf[32];
    unsigned long state = 1;
    for (int i = 0; i < 20000; i++) {
        state = state * 6364136223846793005ul + 1;
        snprintf(buf, sizeof buf, "k%lu", (state >> 40) % 3000);
        root = insert(root, buf);
    }
    unsigned long hash = 0;
    int depth = walk(root, 0, &hash);
    double s = f1(1) + f2(2) + f3(3) + f4(4) + f5(5) + f6(6) + f7(7) + f8(8) + f9(9) + f10(10) +
               f11(11) + f12(12) + f13(13) + f14(14) + f15(15) + f16(16) + f17(17) + f18(18) +
               f19(19) + f20(20) + f21(21) + f22(22) + f23(23);
    printf("depth %d hash %lu sum %.3f\n", depth, hash, s);
    return 0;
}
