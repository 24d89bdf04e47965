/* A minimal unit-test harness: CHECK macros count passes and failures; main() of each test
 * file calls its tests and returns unit_finish(), which prints "NAME: N passed, N failed". */
#ifndef JITMEM_UNIT_H
#define JITMEM_UNIT_H

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                                     \
        do {                                                                            \
                if (cond) {                                                             \
                        unit_passed++;                                                  \
                } else {                                                                \
                        unit_failed++;                                                  \
                        fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
                }                                                                       \
        } while (0)

#define CHECK_EQ_INT(a, b)                                                                   \
        do {                                                                                 \
                long long va_ = (long long)(a), vb_ = (long long)(b);                       \
                if (va_ == vb_) {                                                            \
                        unit_passed++;                                                       \
                } else {                                                                     \
                        unit_failed++;                                                       \
                        fprintf(stderr, "FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__,   \
                                __LINE__, #a, #b, va_, vb_);                                 \
                }                                                                            \
        } while (0)

#define CHECK_EQ_U64(a, b)                                                                   \
        do {                                                                                 \
                uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);                          \
                if (va_ == vb_) {                                                            \
                        unit_passed++;                                                       \
                } else {                                                                     \
                        unit_failed++;                                                       \
                        fprintf(stderr, "FAIL %s:%d: %s == %s (%" PRIu64 " != %" PRIu64 ")\n", \
                                __FILE__, __LINE__, #a, #b, va_, vb_);                       \
                }                                                                            \
        } while (0)

#define CHECK_STR(a, b)                                                                        \
        do {                                                                                   \
                const char *va_ = (a), *vb_ = (b);                                            \
                if (va_ && vb_ && strcmp(va_, vb_) == 0) {                                     \
                        unit_passed++;                                                         \
                } else {                                                                       \
                        unit_failed++;                                                         \
                        fprintf(stderr, "FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n", __FILE__, \
                                __LINE__, #a, #b, va_ ? va_ : "(null)", vb_ ? vb_ : "(null)"); \
                }                                                                              \
        } while (0)

/* Writes text to path with mode (not subject to the umask). Returns 0, or -1. */
static inline int unit_write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        size_t len = strlen(text);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = write(fd, text, len);
        close(fd);
        if (n != (ssize_t)len)
                return -1;
        return chmod(path, mode);
}

static inline int unit_finish(const char *name)
{
        printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
        return unit_failed ? 1 : 0;
}

#endif
