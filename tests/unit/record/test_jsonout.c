/* Unit tests of jsonout.c: how numbers are written (integers as integers, reals with a sane
 * precision) and how text from outside gets in, in every JSON document jitmem writes. */
#include "jsonout.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
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

static void test_text(void)
{
        char dir[] = "/tmp/test_jsonout.XXXXXX", path[64];
        json_t *j;
        int dfd;

        /* every byte a process may hand over ends in a document that can be written */
        check_dump(json_pack("{s:o}", "cmdline", jsonout_text("sh -c echo caf\xe9")), JSONOUT_DUMP_LINE,
                   "{\"cmdline\":\"sh -c echo caf\xef\xbf\xbd\"}");
        check_dump(json_pack("[o, o, o]", jsonout_text("caf\xc3\xa9 \xf0\x9f\x98\x80"), jsonout_text("\x1b[2J\n"), jsonout_text("")),
                   JSONOUT_DUMP_LINE, "[\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"\\u001B[2J\\n\",\"\"]");
        check_dump(json_pack("[o]", jsonout_text("\xff\xc0\xaf\xed\xa0\x80")), JSONOUT_DUMP_LINE,
                   "[\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"]");
        j = jsonout_text(NULL);
        CHECK(json_is_null(j));
        json_decref(j);

        /* a document that cannot be dumped is not "out of memory" */
        CHECK(mkdtemp(dir) != NULL);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dfd >= 0);
        j = json_pack("{s:o}", "x", json_stringn_nocheck("caf\xe9", 4));
        CHECK_EQ_INT(jsonout_write_atomic(dfd, "bad.json", j), -EINVAL);
        CHECK(faccessat(dfd, "bad.json", F_OK, 0) < 0); /* nothing written, no temporary left */
        json_decref(j);
        j = json_pack("{s:o}", "x", jsonout_text("caf\xe9"));
        CHECK_EQ_INT(jsonout_write_atomic(dfd, "good.json", j), 0);
        json_decref(j);
        snprintf(path, sizeof(path), "%s/good.json", dir);
        j = json_load_file(path, 0, NULL);
        CHECK(j && strcmp(json_string_value(json_object_get(j, "x")), "caf\xef\xbf\xbd") == 0);
        json_decref(j);
        CHECK(unlinkat(dfd, "good.json", 0) == 0);
        close(dfd);
        CHECK(rmdir(dir) == 0); /* empty: no temporary file left behind */
}

int main(void)
{
        test_numbers();
        test_text();
        return unit_finish("test_jsonout");
}
