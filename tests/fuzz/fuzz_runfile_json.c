/* summary.json read back (runfile_read_summary): any JSON, numbers of every size and type
 * where figures belong, strings of any bytes where a command line belongs. */
#include "fuzz.h"
#include "runfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct runfile_summary s;
        char dir[4200];

        fuzz_write("run/summary.json", data, size);
        snprintf(dir, sizeof(dir), "%s/run", fuzz_dir());
        if (runfile_read_summary(dir, &s) == 0) {
                for (size_t i = 0; i < s.nprocs; i++)
                        if (s.procs[i].cmdline)
                                (void)strlen(s.procs[i].cmdline);
                FUZZ_ASSERT(memchr(s.tree.anon_method, '\0', sizeof(s.tree.anon_method)) != NULL);
                runfile_summary_free(&s);
        }
        return 0;
}
