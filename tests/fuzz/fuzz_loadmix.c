/* The request-mix file of `jitmem load --requests`: "WEIGHT METHOD PATH [BODY]" lines, each
 * followed by indented header lines. Every request built from it must be one well-formed
 * request head, nothing smuggled after it. */
#include "fuzz.h"
#include "httphead.h"
#include "loadgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct httphead h;
        struct load_target t;
        struct load_request *reqs = NULL;
        size_t n = 0;
        char path[4200], err[512];

        memset(&t, 0, sizeof(t));
        snprintf(t.host, sizeof(t.host), "127.0.0.1");
        t.port = 8080;
        snprintf(t.path, sizeof(t.path), "/");
        fuzz_write("requests.txt", data, size);
        snprintf(path, sizeof(path), "%s/requests.txt", fuzz_dir());
        err[0] = '\0';
        if (load_requests_build(&t, path, &reqs, &n, err, sizeof(err)) != 0) {
                FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
                return 0;
        }
        FUZZ_ASSERT(n > 0 && n <= LOAD_MAX_REQUESTS);
        for (size_t i = 0; i < n; i++) {
                const struct load_request *q = &reqs[i];
                const char *end = memmem(q->wire, q->wire_len, "\r\n\r\n", 4);
                size_t head_len;

                FUZZ_ASSERT(q->weight > 0 && end != NULL);
                head_len = (size_t)(end - q->wire) + 4;
                FUZZ_ASSERT(httphead_parse_request(q->wire, head_len, &h) == 0);
                FUZZ_ASSERT(h.method_len == strlen(q->method) && memcmp(h.method, q->method, h.method_len) == 0);
                /* jitmem's own Host, and any the mix adds */
                FUZZ_ASSERT(httphead_count(&h, "Host") >= 1);
                FUZZ_ASSERT(memchr(q->wire, '\0', q->wire_len) == NULL);
        }
        load_requests_free(reqs, n);
        return 0;
}
