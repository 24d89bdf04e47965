/* A request head as the /metrics server receives it from anyone who connects, and what the
 * server asks of it (the fields Connection, Content-Length, Transfer-Encoding, Host). */
#include "fuzz.h"
#include "httphead.h"

static void check_span(const char *s, size_t n, const char *buf, size_t len)
{
        FUZZ_ASSERT(n == 0 || (s >= buf && s + n <= buf + len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct httphead h;
        const char *buf = (const char *)data, *v;
        size_t vlen;
        int r;

        r = httphead_parse_request(buf, size, &h);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EPROTONOSUPPORT || r == -E2BIG);
        if (r != 0)
                return 0;
        FUZZ_ASSERT(h.major == 1 && h.nfields <= HTTPHEAD_MAX_FIELDS);
        check_span(h.method, h.method_len, buf, size);
        check_span(h.target, h.target_len, buf, size);
        FUZZ_ASSERT(h.method_len > 0 && h.target_len > 0);
        for (size_t i = 0; i < h.target_len; i++)
                FUZZ_ASSERT(h.target[i] > ' ' && h.target[i] < 0x7f);
        for (size_t i = 0; i < h.nfields; i++) {
                const struct httphead_field *f = &h.fields[i];

                check_span(f->name, f->name_len, buf, size);
                check_span(f->value, f->value_len, buf, size);
                FUZZ_ASSERT(f->name_len > 0);
                FUZZ_ASSERT(memchr(f->value, '\n', f->value_len) == NULL);
                httphead_list_has(f->value, f->value_len, "close");
                httphead_list_has(f->value, f->value_len, "keep-alive");
                httphead_field_is(f, "Content-Length");
        }
        v = httphead_get(&h, "Transfer-Encoding", &vlen);
        if (v)
                httphead_list_has(v, vlen, "chunked");
        FUZZ_ASSERT(httphead_count(&h, "Host") <= (int)h.nfields);
        return 0;
}
