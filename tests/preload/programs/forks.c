/* fork() from a multi-threaded program: several threads fork while others keep allocating
 * (so allocator locks are likely held at the fork), and every child allocates, frees,
 * starts a thread and checks its parent's memory before exiting. Prints a fixed summary.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORKERS       4
#define FORKS_EACH    25
#define NOISE_THREADS 2

static atomic_int stop_noise;

static void *noise(void *arg) {
    (void)arg;
    void *ring[256] = {0};
    for (unsigned i = 0; !atomic_load(&stop_noise); i++) {
        unsigned k = i % 256;
        free(ring[k]);
        ring[k] = malloc((i * 97) % 40000 + 1);
    }
    for (int k = 0; k < 256; k++)
        free(ring[k]);
    return NULL;
}

static void *child_thread(void *arg) {
    char **v = arg;
    for (int i = 0; i < 1000; i++) {
        v[i] = malloc((size_t)i + 1);
        memset(v[i], 'c', (size_t)i + 1);
    }
    return NULL;
}

/* Runs in the child: any deadlock or corruption shows as a timeout or a bad status. */
static int child_work(const char *parent_block) {
    if (strcmp(parent_block, "parent data") != 0)
        return 3;
    char **v = calloc(1000, sizeof *v);
    if (v == NULL)
        return 4;
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, v) != 0)
        return 5;
    pthread_join(t, NULL);
    for (int i = 0; i < 1000; i++) {
        if (v[i][i] != 'c')
            return 6;
        free(v[i]);
    }
    free(v);
    void *big = malloc(1 << 20);
    memset(big, 0, 1 << 20);
    free(big);
    return 0;
}

static void *forker(void *arg) {
    long *bad = arg;
    for (int i = 0; i < FORKS_EACH; i++) {
        char *mine = strdup("parent data");
        pid_t pid = fork();
        if (pid == 0) {
            alarm(20); /* a child that deadlocks must not outlive the test */
            _exit(child_work(mine));
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "forks: child %d failed: status %#x\n", (int)pid, status);
            (*bad)++;
        }
        free(mine);
    }
    return NULL;
}

int main(void) {
    pthread_t noisy[NOISE_THREADS], forkers[FORKERS];
    long bad[FORKERS] = {0};
    for (int i = 0; i < NOISE_THREADS; i++)
        pthread_create(&noisy[i], NULL, noise, NULL);
    for (int i = 0; i < FORKERS; i++)
        pthread_create(&forkers[i], NULL, forker, &bad[i]);
    long failed = 0;
    for (int i = 0; i < FORKERS; i++) {
        pthread_join(forkers[i], NULL);
        failed += bad[i];
    }
    atomic_store(&stop_noise, 1);
    for (int i = 0; i < NOISE_THREADS; i++)
        pthread_join(noisy[i], NULL);
    printf("forks: %d children from %d threads, %ld failed\n", FORKERS * FORKS_EACH, FORKERS,
           failed);
    return failed != 0;
}
