/* What the fuzz harnesses share (tests/fuzz/fuzz_NAME.c, docs in DEVELOPERS.md): the entry
 * point libFuzzer calls, a scratch directory for the parsers that read paths, and the split of
 * one input into the several files a harness writes. Every harness builds two ways: with
 * libFuzzer (make fuzz) and with tests/fuzz/replay.c, which calls the same entry point on the
 * kept inputs in make test. */
#ifndef JITMEM_FUZZ_H
#define JITMEM_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The line between the files of one input (the seeds' assembly, tests/fuzz/seed.sh, writes it). */
#define FUZZ_SEP "\n-8<-\n"
#define FUZZ_MAX_PARTS 8

struct fuzz_part {
        const char *p;
        size_t n;
};

/* A harness's own checks: a property the code under test broke is a finding, as a crash is. */
#define FUZZ_ASSERT(cond)                                                                   \
        do {                                                                                \
                if (!(cond)) {                                                              \
                        fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #cond); \
                        abort();                                                            \
                }                                                                           \
        } while (0)

static char fuzz_dir_path[4096];

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

static inline void fuzz_rm_dir(void)
{
        if (fuzz_dir_path[0])
                nftw(fuzz_dir_path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A directory of this process's own, created at the first call and removed at exit: in
 * /dev/shm when it can be written (files rewritten at every input on a disk's file system are
 * flushed on close, a hundred times slower), else in $TMPDIR or /tmp. */
static inline const char *fuzz_dir(void)
{
        if (!fuzz_dir_path[0]) {
                const char *tmp = getenv("TMPDIR");
                if (access("/dev/shm", W_OK | X_OK) == 0)
                        tmp = "/dev/shm";
                snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/jitmem-fuzz.XXXXXX",
                         tmp && *tmp ? tmp : "/tmp");
                if (!mkdtemp(fuzz_dir_path)) {
                        perror("mkdtemp");
                        abort();
                }
                atexit(fuzz_rm_dir);
        }
        return fuzz_dir_path;
}

/* Writes data[0..n) as dir/name (dir relative to fuzz_dir(), "" for itself), creating the
 * directories on the way; the harness stops on any failure, which is the machine's, not a
 * finding. */
static inline void fuzz_write(const char *name, const void *data, size_t n)
{
        char path[8192];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
        for (char *s = path + strlen(fuzz_dir()) + 1; (s = strchr(s, '/')) != NULL; s++) {
                *s = '\0';
                if (mkdir(path, 0700) < 0 && errno != EEXIST) {
                        perror(path);
                        abort();
                }
                *s = '/';
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (n > 0 && write(fd, data, n) != (ssize_t)n)) {
                perror(path);
                abort();
        }
        close(fd);
}

/* Splits data at each FUZZ_SEP into at most max parts (the last takes the rest). Parts past the
 * input's are empty. Returns how many the input had. */
static inline size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max)
{
        const char *p = (const char *)data, *end = p + size;
        size_t k = 0, seplen = strlen(FUZZ_SEP);

        for (size_t i = 0; i < max; i++)
                parts[i] = (struct fuzz_part){ "", 0 };
        while (k < max) {
                const char *s = k + 1 < max ? memmem(p, (size_t)(end - p), FUZZ_SEP, seplen) : NULL;
                parts[k++] = (struct fuzz_part){ p, s ? (size_t)(s - p) : (size_t)(end - p) };
                if (!s)
                        break;
                p = s + seplen;
        }
        return k;
}

/* A NUL-terminated copy of data[0..n) (the caller frees it). */
static inline char *fuzz_strndup(const void *data, size_t n)
{
        char *s = malloc(n + 1);

        if (!s)
                abort();
        memcpy(s, data, n);
        s[n] = '\0';
        return s;
}

#endif
