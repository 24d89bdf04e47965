/* --pyperf PREFIX: the files pyperf_export makes of comparisons, written beside each other
 * (PREFIX-off.json, PREFIX-on.json, ...), and what the export left out, said on stderr. */
#include "cli.h"
#include "jsonout.h"
#include "pyperf.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define BASE_MAX 128    /* a prefix's last component, in bytes: with a suffix, within a file name */

/* PREFIX split into its directory ("." when it names none) and its last component, without a
 * final ".json" ("" when PREFIX ends with '/': the files are then DIR/off.json ...). */
static int split_prefix(const char *prefix, char *dir, size_t dir_size, char *base, size_t base_size)
{
        const char *slash = strrchr(prefix, '/');
        size_t len;

        if (slash) {
                size_t n = (size_t)(slash - prefix);
                if (n == 0)
                        n = 1; /* "/name": the root */
                if (n >= dir_size)
                        return -ENAMETOOLONG;
                memcpy(dir, prefix, n);
                dir[n] = '\0';
                prefix = slash + 1;
        } else {
                snprintf(dir, dir_size, ".");
        }
        len = strlen(prefix);
        if (len > 5 && strcmp(prefix + len - 5, ".json") == 0)
                len -= 5;
        if (len > BASE_MAX || len >= base_size)
                return -ENAMETOOLONG;
        memcpy(base, prefix, len);
        base[len] = '\0';
        return 0;
}

int cli_pyperf_check(const char *prefix)
{
        char dir[4096], base[BASE_MAX + 1], safe[CLI_TEXT_SIZE];
        int fd;

        if (split_prefix(prefix, dir, sizeof(dir), base, sizeof(base)) < 0) {
                cli_usage_error("compare", "bad --pyperf '%s': the name is too long (at most %d bytes after the last /)",
                                cli_text(prefix, safe, sizeof(safe)), BASE_MAX);
                return -ENAMETOOLONG;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                cli_usage_error("compare", "bad --pyperf '%s': cannot open the directory %s: %s",
                                cli_text(prefix, safe, sizeof(safe)), dir, util_strerror(-e));
                return -e;
        }
        close(fd);
        return 0;
}

int cli_write_pyperf(json_t *const *docs, const char *const *labels, size_t n, const char *prefix)
{
        char dir[4096], base[BASE_MAX + 1], err[512], safe[CLI_TEXT_SIZE];
        json_t *ex = NULL, *f, *s;
        int written = 0, dfd;
        size_t i;
        int r;

        r = split_prefix(prefix, dir, sizeof(dir), base, sizeof(base));
        if (r < 0) {
                cli_error("warning: no pyperf files: the name %s is too long", cli_text(prefix, safe, sizeof(safe)));
                return r;
        }
        r = pyperf_export(docs, labels, n, &ex, err, sizeof(err));
        if (r < 0) {
                cli_error("warning: no pyperf files: %s", cli_text(err, safe, sizeof(safe)));
                return r;
        }
        json_array_foreach(json_object_get(ex, "left_out"), i, s)
                cli_error("pyperf: %s", cli_text(json_string_value(s), safe, sizeof(safe)));
        json_array_foreach(json_object_get(ex, "warnings"), i, s)
                cli_error("warning: pyperf: %s", cli_text(json_string_value(s), safe, sizeof(safe)));
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                r = -errno;
                cli_error("warning: no pyperf files: cannot open %s: %s", cli_text(dir, safe, sizeof(safe)),
                          util_strerror(r));
                json_decref(ex);
                return r;
        }
        json_array_foreach(json_object_get(ex, "files"), i, f) {
                char name[BASE_MAX + 128], path[sizeof(dir) + sizeof(name) + 2];

                snprintf(name, sizeof(name), "%s%s%s.json", base, base[0] ? "-" : "",
                         json_string_value(json_object_get(f, "suffix")));
                if (strchr(prefix, '/'))
                        snprintf(path, sizeof(path), "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
                else
                        snprintf(path, sizeof(path), "%s", name); /* as given: in the current directory */
                r = jsonout_write_atomic(dfd, name, json_object_get(f, "suite"));
                if (r < 0) {
                        cli_error("warning: cannot write %s: %s", cli_text(path, safe, sizeof(safe)), util_strerror(r));
                        continue;
                }
                fprintf(stderr, "pyperf: %s\n", cli_text(path, safe, sizeof(safe)));
                written++;
        }
        if (json_array_size(json_object_get(ex, "files")) == 0)
                cli_error("warning: no pyperf files: no figure is left to export");
        close(dfd);
        json_decref(ex);
        return written;
}
