/* A response as the load generator receives it from the server under test: the head
 * (httphead), and the whole reader (load_reader_feed: Content-Length, chunks and trailers, a
 * head alone, until close), fed in pieces as the network hands them out. The input's first
 * byte: the answer to a HEAD (bit 0), and the size of the pieces (the rest). */
#include "fuzz.h"
#include "httphead.h"
#include "loadgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct httphead h;
        static char head[LOAD_MAX_HEAD];
        struct load_reader rd;
        const char *p;
        size_t n, piece, off = 0;
        int r;

        if (size < 1)
                return 0;
        p = (const char *)data + 1;
        n = size - 1;
        piece = 1 + (data[0] >> 1) % 64;
        if (data[0] >> 1 >= 64)
                piece = n ? n : 1; /* all at once */

        r = httphead_parse_response(p, n, &h);
        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -E2BIG);
        if (r == 0)
                FUZZ_ASSERT(h.status >= 0 && h.status <= 999 && h.major == 1);

        rd.head = head;
        load_reader_start(&rd, data[0] & 1);
        while (off < n) {
                size_t k = n - off < piece ? n - off : piece, used = 0;

                r = load_reader_feed(&rd, p + off, k, &used);
                FUZZ_ASSERT(r == 0 || r == 1 || r == -EBADMSG);
                if (r < 0)
                        break;
                FUZZ_ASSERT(rd.hlen <= LOAD_MAX_HEAD && rd.llen <= sizeof(rd.line));
                if (r == 1) {
                        /* the next response of the connection starts after it */
                        FUZZ_ASSERT(used <= k);
                        FUZZ_ASSERT(rd.status >= 0 && rd.status <= 999);
                        off += used;
                        load_reader_start(&rd, data[0] & 1);
                        if (used == 0 && k > 0)
                                continue;
                } else {
                        off += k;
                }
        }
        return 0;
}
