/* The numbers people and files give: sizes ("384M", "1.5G"), durations ("250ms", "5m"), the
 * bounded integer parsers under every /proc and cgroup reader, a listen address, the
 * transparent_hugepage line. */
#include "fuzz.h"
#include "machine.h"
#include "prom_server.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data;
        struct sockaddr_storage ss;
        socklen_t sl;
        uint64_t u;
        int64_t i;
        char *s, out[32];
        size_t pos = 0, flen;
        const char *f;
        int r;

        r = util_parse_u64(p, size, &u);
        FUZZ_ASSERT(r == -EINVAL || r == -ERANGE || (r > 0 && (size_t)r <= size));
        r = util_parse_i64(p, size, &i);
        FUZZ_ASSERT(r == -EINVAL || r == -ERANGE || (r > 0 && (size_t)r <= size));
        r = util_parse_x64(p, size, &u);
        FUZZ_ASSERT(r == -EINVAL || r == -ERANGE || (r > 0 && (size_t)r <= size));
        while (util_next_field(p, size, &pos, &f, &flen)) {
                FUZZ_ASSERT(f >= p && f + flen <= p + size && flen > 0 && pos <= size);
                util_field_u64(f, flen, &u);
                util_field_x64(f, flen, &u);
        }

        s = fuzz_strndup(data, size);
        r = util_parse_size(s, &u);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
        r = util_parse_duration(s, &u);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
        prom_server_parse_addr(s, &ss, &sl);
        if (machine_parse_thp(s, out, sizeof(out)) == 0)
                FUZZ_ASSERT(memchr(out, '\0', sizeof(out)) != NULL);
        free(s);
        return 0;
}
