/* sllimit: how much an allocator serves before it answers NULL. Allocates ~1 MiB objects
 * until malloc returns NULL, frees them, then small objects (33..80 bytes, like short
 * strings) until NULL, and prints "large N small M" (objects). Every object is written
 * (its first and last bytes) and checked before it is freed. Uses the C library's malloc
 * family, so scripts/limits measures any allocator by preloading it, under `ulimit -v`.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *next;
    size_t size;
};

static size_t fill(struct node **list, int large) {
    size_t n = 0;
    for (;;) {
        size_t size = large ? ((size_t)1 << 20) + 100 : 33 + n % 48;
        struct node *o = malloc(size);
        if (!o)
            return n;
        o->next = *list;
        o->size = size;
        ((unsigned char *)o)[size - 1] = (unsigned char)size;
        *list = o;
        n++;
    }
}

static int drain(struct node **list) {
    int bad = 0;
    while (*list) {
        struct node *o = *list;
        bad |= ((unsigned char *)o)[o->size - 1] != (unsigned char)o->size;
        *list = o->next;
        free(o);
    }
    return bad;
}

int main(void) {
    struct node *list = NULL;
    size_t large = fill(&list, 1);
    int bad = drain(&list);
    size_t small = fill(&list, 0);
    bad |= drain(&list);
    printf("large %zu small %zu%s\n", large, small, bad ? " CORRUPT" : "");
    return bad;
}
