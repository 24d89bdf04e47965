/* Replays kept inputs through a harness without a fuzzing engine: each argument is a file, or a
 * directory whose files (not its subdirectories) are each one input, in name order. make test
 * runs every harness this way on its corpus and its crashes (tests/e2e/test_fuzz_corpus.sh).
 * Prints "N inputs" and exits 0; a finding aborts, as under libFuzzer. Exits 2 when an
 * argument cannot be read, or when no input was found at all. */
#include "fuzz.h"

#include <dirent.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (1u << 20)

static int replay_file(const char *path)
{
        uint8_t *buf = malloc(REPLAY_MAX_INPUT);
        ssize_t n;
        size_t len = 0;
        int fd;

        if (!buf)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                free(buf);
                return -errno;
        }
        while (len < REPLAY_MAX_INPUT && (n = read(fd, buf + len, REPLAY_MAX_INPUT - len)) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        n = -errno;
                        close(fd);
                        free(buf);
                        return (int)n;
                }
                len += (size_t)n;
        }
        close(fd);
        /* a copy of exactly the input's length, so that a read past its end is caught */
        uint8_t *in = malloc(len ? len : 1);
        if (!in) {
                free(buf);
                return -ENOMEM;
        }
        memcpy(in, buf, len);
        free(buf);
        LLVMFuzzerTestOneInput(in, len);
        free(in);
        return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_dir(const char *dir)
{
        struct dirent **names;
        char path[4096];
        int n, count = 0;

        n = scandir(dir, &names, NULL, by_name);
        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                struct stat st;

                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                        int r = replay_file(path);
                        if (r < 0) {
                                fprintf(stderr, "replay: %s: %s\n", path, strerror(-r));
                                count = r;
                        } else if (count >= 0) {
                                count++;
                        }
                }
                free(names[i]);
        }
        free(names);
        return count;
}

int main(int argc, char **argv)
{
        int total = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        return 2;
                }
                r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
                if (r < 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(-r));
                        return 2;
                }
                total += r;
        }
        printf("%d inputs\n", total);
        return total > 0 ? 0 : 2;
}
