/* The run directory's readers: summary.json's judged figures (runfile_summary_of,
 * runfile_read_summary) and samples.csv files of other shapes (older columns, cut short). */
#include "runfile.h"
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void write_file(const char *dir, const char *name, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static void remove_file(const char *dir, const char *name)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        unlink(path);
}

static void test_summary_of(void)
{
        struct runfile_summary r;
        json_t *j = json_loads("{\"t0_monotonic_ns\": 1000, \"duration_s\": 2.5, \"exit_status\": 3,"
                               " \"recording_error\": null,"
                               " \"driver\": {\"load_start_monotonic_ns\": 2000, \"load_end_monotonic_ns\": 5000,"
                               "  \"load\": {\"requests\": {\"per_second\": 120.5}, \"latency_us\": {\"p50\": 800, \"p99\": 4000}}},"
                               " \"progress\": {\"units\": 300, \"units_per_s\": 99},"
                               " \"processes\": [{\"cpu_user_s\": 1.25, \"cpu_sys_s\": 0.25}, {\"cpu_user_s\": 0.5}],"
                               " \"jit\": {\"executors_compiled\": 77, \"executors_freed\": 5, \"churn_ratio\": 0.1}}",
                               0, NULL);

        CHECK(j != NULL);
        runfile_summary_of(j, &r);
        CHECK(r.t0_monotonic_ns == 1000 && r.load_start_ns == 2000 && r.load_end_ns == 5000 && r.driven);
        CHECK(r.duration_s == 2.5 && r.exit_status == 3 && !r.recording_failed);
        CHECK(r.requests_per_s == 120.5 && r.latency_p50_us == 800 && r.latency_p99_us == 4000);
        CHECK(r.units == 300 && r.units_per_s == 99);
        CHECK(fabs(r.cpu_s - 2.0) < 1e-12);
        CHECK(r.executors_compiled == 77 && r.executors_freed == 5 && r.churn_ratio == 0.1);
        CHECK_EQ_U64(r.nprocs, 2);
        runfile_summary_free(&r);
        CHECK(r.nprocs == 0 && r.procs == NULL);
        json_decref(j);

        /* Absent, or of the wrong type: not measured. */
        runfile_summary_of(NULL, &r);
        CHECK(r.t0_monotonic_ns < 0 && r.duration_s < 0 && r.units < 0 && r.cpu_s == 0 && !r.driven);
        CHECK(r.exit_status < 0 && r.executors_compiled < 0 && !r.recording_failed);
        j = json_loads("{\"duration_s\": \"2\", \"exit_status\": 1.5, \"processes\": {\"cpu_user_s\": 1},"
                       " \"driver\": {\"load\": null}, \"recording_error\": \"No space left on device\"}",
                       0, NULL);
        runfile_summary_of(j, &r);
        CHECK(r.duration_s < 0 && r.exit_status < 0 && r.cpu_s == 0 && !r.driven && r.recording_failed);
        CHECK(r.nprocs == 0 && !r.trace.traced && r.tree.peak_rss < 0 && r.tree.anon_method[0] == '\0');
        json_decref(j);
        /* Out of range, hostile: no conversion beyond what the type holds. */
        j = json_loads("{\"exit\": {\"code\": 1e20, \"signal\": 99999999999},"
                       " \"processes\": [{\"pid\": 1e300, \"cmdline\": \"a\\u001b[2Jb\"}, {\"pid\": 12, \"cmdline\": 5}],"
                       " \"tree\": {\"anon_count\": {\"method\": \"pagemap-and-a-much-longer-name\"}}}", 0, NULL);
        CHECK(j != NULL);
        CHECK_EQ_INT(runfile_summary_of(j, &r), 0);
        CHECK(r.exit_code < 0 && r.exit_signal < 0);
        CHECK_EQ_U64(r.nprocs, 2);
        if (r.nprocs == 2) {
                CHECK(r.procs[0].pid < 0 && strcmp(r.procs[0].cmdline, "a\x1b[2Jb") == 0);
                CHECK(r.procs[1].pid == 12 && r.procs[1].cmdline == NULL);
        }
        CHECK(strlen(r.tree.anon_method) == sizeof(r.tree.anon_method) - 1);
        runfile_summary_free(&r);
        json_decref(j);
        /* Figures no jitmem writes (negative, past 2^53, huge): not measured, none added up. */
        j = json_loads("{\"duration_s\": -3, \"t0_monotonic_ns\": 1e16, \"driver\": {\"load_start_monotonic_ns\": 1e19,"
                       " \"load_end_monotonic_ns\": -1}, \"progress\": {\"units\": 1e300, \"units_per_s\": 9007199254740992},"
                       " \"tree\": {\"peak_rss_bytes\": 1e17, \"max_processes\": -5, \"peak_pss_bytes\": 4096},"
                       " \"jit\": {\"executors_compiled\": -7, \"cross_check\": {\"samples\": 1e300,"
                       "  \"first_disagreement\": {\"pid\": -1e300}}},"
                       " \"limit\": {\"bytes\": 1e19, \"peak_rss_fraction\": -0.5},"
                       " \"processes\": [{\"cpu_user_s\": -100, \"cpu_sys_s\": 1e300, \"peak_rss_bytes\": -2,"
                       "  \"maxrss_bytes\": 1e20}, {\"cpu_user_s\": 0.5}]}", 0, NULL);
        CHECK(j != NULL);
        CHECK_EQ_INT(runfile_summary_of(j, &r), 0);
        CHECK(r.duration_s == -1 && r.t0_monotonic_ns == 1e16 && r.load_start_ns == -1 && r.load_end_ns == -1);
        CHECK(r.units == -1 && r.units_per_s == 9007199254740992.0);
        CHECK(r.tree.peak_rss == -1 && r.tree.max_processes == -1 && r.tree.peak_pss == 4096);
        CHECK(r.executors_compiled == -1 && r.trace.samples == -1 && r.trace.first_pid == -1);
        CHECK(r.limit_bytes == -1 && r.limit_rss_fraction == -1);
        CHECK(r.cpu_s == 0.5);
        CHECK_EQ_U64(r.nprocs, 2);
        if (r.nprocs == 2)
                CHECK(r.procs[0].peak_rss == -1 && r.procs[0].maxrss == -1);
        runfile_summary_free(&r);
        json_decref(j);
        /* A summary without recording_error is not known to be whole. */
        j = json_loads("{\"exit_status\": 0}", 0, NULL);
        runfile_summary_of(j, &r);
        CHECK(r.exit_status == 0 && r.recording_failed);
        runfile_summary_free(&r);
        json_decref(j);
}

static void test_files(void)
{
        char dir[] = "/tmp/jitmem-runfile.XXXXXX";
        struct runfile_summary r;
        struct runfile_series s;
        struct runfile_procs pr;

        if (!mkdtemp(dir)) {
                CHECK(0);
                return;
        }
        CHECK_EQ_INT(runfile_read_summary(dir, &r), -ENOENT);
        write_file(dir, "summary.json", "{\"duration_s\": 1,");
        CHECK_EQ_INT(runfile_read_summary(dir, &r), -EINVAL);
        write_file(dir, "summary.json", "{\"duration_s\": 1.5}");
        CHECK_EQ_INT(runfile_read_summary(dir, &r), 0);
        CHECK(r.duration_s == 1.5);
        runfile_summary_free(&r);

        /* An older samples.csv: none of the later columns; a last line cut short. */
        write_file(dir, "samples.csv",
                   "t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units\n"
                   "0.1,process,7,1,python3,1000,4000,,0,,\n"
                   "0.1,tree,7,,,1000,4000,,0,1,\n"
                   "0.2,process,7,1,python3,3000,4000,2000,4096,,\n"
                   "0.2,tree,7,,,3000,4000,2000,4096,1,\n"
                   "0.3,tree,7,,,9000,4000,2000,4096,1");
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), 0);
        CHECK_EQ_U64(s.n, 2);
        if (s.n == 2) {
                CHECK(s.p[1].jit_mappings < 0 && s.p[1].dbg < 0 && s.p[1].dbg_images < 0 && s.p[1].jit_pss < 0);
                CHECK(s.p[0].pss < 0 && s.p[1].pss == 2000 && s.p[1].anon_pagemap < 0);
        }
        CHECK_EQ_U64(pr.n, 1);
        if (pr.n == 1) {
                CHECK(pr.l[0].peaks.rss == 3000 && pr.l[0].peaks.pss == 2000 && pr.l[0].peaks.jit == 4096);
                CHECK(pr.l[0].peaks.jit_growth_end_t == 0.2 && pr.l[0].peaks.dbg < 0);
        }
        runfile_series_free(&s);
        runfile_procs_free(&pr);

        /* Not a recording: a required column missing; no header at all. */
        write_file(dir, "samples.csv", "t_s,scope,rss_bytes\n0.1,tree,5\n");
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), -EINVAL);
        write_file(dir, "samples.csv", "");
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), -EINVAL);
        remove_file(dir, "samples.csv");
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), -ENOENT);
        remove_file(dir, "summary.json");
        rmdir(dir);
}

struct rows {
        struct runfile_row r[16];
        char comm[16][32];
        int n;
};

static int keep_row(const struct runfile_row *row, void *ctx)
{
        struct rows *R = ctx;

        if (R->n == 16)
                return 1;
        R->r[R->n] = *row;
        snprintf(R->comm[R->n], sizeof(R->comm[0]), "%s", row->comm);
        R->r[R->n].comm = R->comm[R->n];
        R->n++;
        return 0;
}

/* samples.csv's one reader, row by row: what jitmem writes read exactly, what it does not write
 * read as not measured, never converted past what its type holds. */
static void test_rows(void)
{
        char dir[] = "/tmp/jitmem-runfile-rows.XXXXXX";
        struct rows R = { .n = 0 };

        if (!mkdtemp(dir)) {
                CHECK(0);
                return;
        }
        write_file(dir, "samples.csv",
                   "t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units,read_t_s,read_err_s,execs\n"
                   "0.100000,process,7,1,\"a,\"\"b\",4096,8192,,0,,,0.099,0.001,2\n"
                   "0.100000,tree,7,,,4096,8192,3000,0,1,5,,,\n"
                   "1e12,process,1e20,-3,x,12.5,0x10,-1,9007199254740993,99999999999,,nan,-0.1,-4\n"
                   "0.2,other,7,1,x,1,1,1,1,1,,,,\n"
                   "0.3,tree,7\n");
        struct runfile_oddity odd;
        CHECK_EQ_INT(runfile_each_row_noting(dir, keep_row, &R, &odd), 0);
        CHECK_EQ_INT(R.n, 4); /* the scope "other" is not a row */
        if (R.n == 4) {
                const struct runfile_row *p = &R.r[0], *t = &R.r[1], *h = &R.r[2], *s = &R.r[3];
                CHECK(!p->tree && p->pid == 7 && p->ppid == 1 && strcmp(p->comm, "a,\"b") == 0 && p->execs == 2);
                CHECK(p->p.t == 0.1 && p->p.rss == 4096 && p->p.vsz == 8192 && p->p.pss == -1 && p->p.jit == 0);
                CHECK(p->read_t == 0.099 && p->read_err == 0.001);
                CHECK(t->tree && t->pid == 7 && t->ppid == -1 && t->p.pss == 3000 && t->p.processes == 1);
                CHECK(t->p.progress == 5 && t->read_t == RUNFILE_NOT_RECORDED && t->read_err == RUNFILE_NOT_RECORDED);
                /* hostile: nothing out of range is taken */
                CHECK(h->p.t == -1 && h->pid == -1 && h->ppid == 0 && h->execs == 0);
                CHECK(h->p.rss == -1 && h->p.vsz == -1 && h->p.pss == -1 && h->p.jit == -1 && h->p.processes == 0);
                CHECK(h->read_t == -1 && h->read_err == -1);
                /* fewer fields than the header: the cells it lacks are empty */
                CHECK(s->tree && s->p.t == 0.3 && s->p.rss == -1 && s->p.processes == 0);
        }
        /* noted: the first cell by line and column, the rows of the wrong shape */
        CHECK_EQ_U64(odd.cells, 12); /* the hostile row's 11, and the scope "other" */
        CHECK(odd.cell_line == 4 && strcmp(odd.column, "pid") == 0 && strcmp(odd.value, "1e20") == 0);
        CHECK(odd.rows == 0 && odd.row_line == 0);
        /* each stops the reading (> 0) or fails it (< 0) */
        R.n = 15;
        CHECK_EQ_INT(runfile_each_row(dir, keep_row, &R), 0);
        CHECK_EQ_INT(R.n, 16);
        remove_file(dir, "samples.csv");
        rmdir(dir);
}

/* A whole recording with crafted rows: nothing out of range is converted, a figure not as
 * jitmem writes it is not recorded, a row of the wrong shape is left out, and what is left is
 * read exactly. */
static void test_crafted_rows(void)
{
        char dir[] = "/tmp/jitmem-runfile-crafted.XXXXXX";
        struct runfile_series s;
        struct runfile_procs pr;

        if (!mkdtemp(dir)) {
                CHECK(0);
                return;
        }
        write_file(dir, "samples.csv",
                   "t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units\n"
                   "0.1,process,7,1,p,1000,1,,0,,\n"
                   "0.1,tree,7,,,1000,1,,0,1,\n"
                   "0.2,process,1e20,1,p,1000,1,,0,,\n"
                   "0.2,process,8,-1,q,2000,1,,0,,\n"
                   "0.2,tree,1e20,,,3000,1,,0,1e20,\n"
                   "0.3,process,7,1,p,nan,1,,inf,,\n"
                   "0.3,tree,7,,,inf,1,,0,1,\n"
                   "0.4,process,7,1,p,1e400,1,,-1,,\n"
                   "0.4,tree,7,,,18446744073709551616,1,,0,-1,\n"
                   "0.5,process,7,1,p,5000,1,,0,,,extra\n"
                   "0.5,tree,7\n"
                   "0.5,process,\"7,1,p,5000,1,,0,,\n"
                   "0.5,tree,7,,,5000,99999999999999999999999,,0,1,\n"
                   "0.6,process,7,1,p,,,,,,\n"
                   ",process,7,1,p,6000,1,,0,,\n"
                   "0.6,tree,7,,,6000,,,,1,\n");
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), 0);
        CHECK_EQ_U64(s.ticks, 7); /* "0.5,tree,7" too, a tick with no figure */
        CHECK_EQ_U64(s.n, 3);
        if (s.n == 3) {
                CHECK(s.p[0].t == 0.1 && s.p[0].rss == 1000 && s.p[0].processes == 1);
                CHECK(s.p[1].t == 0.5 && s.p[1].rss == 5000 && s.p[1].vsz == -1);
                CHECK(s.p[2].t == 0.6 && s.p[2].rss == 6000 && s.p[2].jit == -1 && s.p[2].vsz == -1);
        }
        CHECK(pr.root_pid == 7);
        CHECK_EQ_U64(pr.n, 2);
        if (pr.n == 2) {
                CHECK(pr.l[0].pid == 7 && pr.l[0].ppid == 1 && pr.l[0].n == 1 && pr.l[0].peaks.rss == 1000);
                CHECK(pr.l[1].pid == 8 && pr.l[1].ppid == 0 && pr.l[1].peaks.rss == 2000);
        }
        CHECK_EQ_U64(s.odd.cells, 13);
        CHECK(s.odd.cell_line == 4 && strcmp(s.odd.column, "pid") == 0 && strcmp(s.odd.value, "1e20") == 0);
        CHECK(s.odd.rows == 2 && s.odd.row_line == 11 && s.odd.row_fields == 12 && s.odd.header_fields == 11);
        runfile_series_free(&s);
        runfile_procs_free(&pr);

        /* The value kept to name is cut and printable. */
        write_file(dir, "samples.csv",
                   "t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units\n"
                   "0.1,tree,7,,,\033[2J\007" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,1,,0,1,\n");
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), 0);
        CHECK(s.n == 0 && s.ticks == 1 && s.odd.cells == 1 && strcmp(s.odd.column, "rss_bytes") == 0);
        CHECK(strncmp(s.odd.value, "?[2J?aaa", 8) == 0 && strlen(s.odd.value) == sizeof(s.odd.value) - 1);
        runfile_series_free(&s);
        runfile_procs_free(&pr);
        remove_file(dir, "samples.csv");
        rmdir(dir);
}

/* runfile_load_json: a document within its bound; one over it (whatever grew after its size was
 * read), a duplicate key, a directory and a FIFO (read without blocking) refused. */
static void test_load_json(void)
{
        char dir[] = "/tmp/jitmem-runfile-json.XXXXXX", path[128];
        json_t *j;

        if (!mkdtemp(dir)) {
                CHECK(0);
                return;
        }
        write_file(dir, "a.json", "{\"a\": [1, 2, 3]}");
        snprintf(path, sizeof(path), "%s/a.json", dir);
        j = runfile_load_json(path, 64);
        CHECK(j && json_array_size(json_object_get(j, "a")) == 3);
        json_decref(j);
        CHECK(runfile_load_json(path, 15) == NULL);  /* 16 bytes, over a bound of 15 */
        CHECK((j = runfile_load_json(path, 16)) != NULL);
        json_decref(j);
        write_file(dir, "dup.json", "{\"a\": 1, \"a\": 2}");
        snprintf(path, sizeof(path), "%s/dup.json", dir);
        CHECK(runfile_load_json(path, 64) == NULL);
        CHECK(runfile_load_json(dir, 64) == NULL);
        snprintf(path, sizeof(path), "%s/fifo.json", dir);
        CHECK(mkfifo(path, 0600) == 0);
        CHECK(runfile_load_json(path, 64) == NULL);
        snprintf(path, sizeof(path), "%s/none.json", dir);
        CHECK(runfile_load_json(path, 64) == NULL);
        static const char *const names[] = { "a.json", "dup.json", "fifo.json" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                unlink(path);
        }
        rmdir(dir);
}

int main(void)
{
        test_load_json();
        test_rows();
        test_crafted_rows();
        test_summary_of();
        test_files();
        return unit_finish("test_runfile");
}
