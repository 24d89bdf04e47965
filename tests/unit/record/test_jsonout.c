/* Unit tests of jsonout.c: how numbers are written (integers as integers, reals with a sane
 * precision) in every JSON document jitmem writes. */
#include "jsonout.h"
#include "unit.h"

#include <stdlib.h>

/* The dump of obj with the flags every writer uses. */
static char *dump(json_t *obj, size_t flags)
{
        char *s = jsonout_dumps(obj, flags);

        json_decref(obj);
        return s;
}

static void check_dump(json_t *obj, size_t flags, const char *want)
{
        char *s = dump(obj, flags);

        CHECK(s && strcmp(s, want) == 0);
        if (s && strcmp(s, want) != 0)
                fprintf(stderr, "  got  %s\n  want %s\n", s, want);
        free(s);
}

static void test_numbers(void)
{
        /* a whole real is an integer; a real keeps 10 significant digits */
        check_dump(json_pack("{s:f, s:f, s:f, s:i}", "a", 15207424.0, "b", 0.0087882129999999996, "c", 2.5, "d", 7),
                   JSONOUT_DUMP_LINE, "{\"a\":15207424,\"b\":0.008788213,\"c\":2.5,\"d\":7}");
        /* byte counts are whole bytes, directly or in an array under the key */
        check_dump(json_pack("{s:f, s:[f, f], s:f}", "peak_rss_bytes", 15207424.5, "pss_bytes", 10.4, 11.6, "ratio", 0.25),
                   JSONOUT_DUMP_LINE | JSON_SORT_KEYS, "{\"peak_rss_bytes\":15207425,\"pss_bytes\":[10,12],\"ratio\":0.25}");
        /* nested objects under a _bytes key keep their reals (p-values, fractions) */
        check_dump(json_pack("{s:{s:f, s:f}}", "peak_rss_bytes", "p_value", 0.045, "off", 2048.0),
                   JSONOUT_DUMP_LINE | JSON_SORT_KEYS, "{\"peak_rss_bytes\":{\"off\":2048,\"p_value\":0.045}}");
        /* what cannot be an exact integer stays a real */
        check_dump(json_pack("{s:f}", "x", 1e300), JSONOUT_DUMP_LINE, "{\"x\":1e300}");
        check_dump(json_pack("{s:f}", "t_s", 12345.678901234), JSONOUT_DUMP_LINE, "{\"t_s\":12345.6789}");
        /* the indented form every file uses */
        check_dump(json_pack("{s:f}", "x", 0.1 + 0.2), JSONOUT_DUMP_FLAGS, "{\n  \"x\": 0.3\n}");
}

int main(void)
{
        test_numbers();
        return unit_finish("test_jsonout");
}
