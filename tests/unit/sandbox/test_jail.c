/*
 * Unit tests: the jail through the library (sbx_ctx_new, sbx_run).  The
 * hostile suite (tests/hostile) drives the CLI with attacks; these check
 * the library's own contract: results, stdin, streaming, cancel, files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox.h"

static struct sbx_ctx *ctx;

/*
 * The slots' cgroup parent and uids are the defaults ("runpad", 60000 and
 * 60001) unless RUNPAD_TEST_CGROUP_PARENT and RUNPAD_TEST_FIRST_UID say
 * otherwise, so that a developer can run this binary beside a test run
 * that holds the default slots.
 */
static void setup(void)
{
	const char *parent = getenv("RUNPAD_TEST_CGROUP_PARENT");
	const char *uid = getenv("RUNPAD_TEST_FIRST_UID");
	struct sbx_config c;
	char err[512] = "";

	sbx_config_default(&c);
	c.slots = 2;
	if (parent && *parent)
		c.cgroup_parent = parent;
	if (uid && *uid) {
		char *end;
		unsigned long u = strtoul(uid, &end, 10);
		cr_assert(*end == '\0' && u > 0 && u < 4000000000ul,
		          "RUNPAD_TEST_FIRST_UID=%s is not a uid", uid);
		c.first_uid = c.first_gid = (uint32_t)u;
	}
	if (sbx_ctx_new(&c, &ctx, err, sizeof(err)) < 0)
		cr_skip_test("the jail cannot start here: %s", err);
}

static void teardown(void)
{
	sbx_ctx_free(ctx);
	ctx = NULL;
}

TestSuite(jail, .init = setup, .fini = teardown, .timeout = 60);

static struct sbx_stage stage(const char *const *argv)
{
	struct sbx_stage s;

	memset(&s, 0, sizeof(s));
	sbx_limits_default(&s.limits);
	s.argv = argv;
	s.stdin_fd = -1;
	s.cancel_fd = -1;
	s.hangup_fd = -1;
	return s;
}

static int run1(struct sbx_stage *st, struct sbx_job_result *res,
                const struct sbx_file *files, size_t n)
{
	struct sbx_job job = {
	        .files = files, .nfiles = n, .run = st, .slot = -1};
	char err[256];

	return sbx_run(ctx, &job, res, err, sizeof(err));
}

Test(jail, echo_and_exit_code)
{
	const char *argv[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3",
	                      NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;

	cr_assert_eq(run1(&st, &res, NULL, 0), 0);
	cr_assert_eq(res.verdict, SBX_RUNTIME_ERROR);
	cr_assert_eq(res.run.exit_code, 3);
	cr_assert_str_eq(res.run.out, "out\n");
	cr_assert_str_eq(res.run.err, "err\n");
	cr_assert_gt(res.run.memory_peak, 0);
	sbx_job_result_fini(&res);
}

Test(jail, stdin_is_fed_and_closed)
{
	const char *argv[] = {"/bin/cat", NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;

	st.stdin_data = "line one\nline two\n";
	st.stdin_len = strlen(st.stdin_data);
	cr_assert_eq(run1(&st, &res, NULL, 0), 0);
	cr_assert_eq(res.verdict, SBX_ACCEPTED);
	cr_assert_str_eq(res.run.out, "line one\nline two\n");
	sbx_job_result_fini(&res);
}

struct stream_log {
	char buf[256];
	size_t len;
	int calls;
};

static void on_out(void *arg, int stream, const char *b, size_t n)
{
	struct stream_log *l = arg;

	if (stream == 1 && l->len + n < sizeof(l->buf)) {
		memcpy(l->buf + l->len, b, n);
		l->len += n;
	}
	l->calls++;
}

Test(jail, output_streams_through_the_callback)
{
	const char *argv[] = {"/bin/sh", "-c", "echo a; sleep 0.05; echo b",
	                      NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;
	struct stream_log log = {0};

	st.on_output = on_out;
	st.arg = &log;
	cr_assert_eq(run1(&st, &res, NULL, 0), 0);
	cr_assert_str_eq(log.buf, "a\nb\n");
	cr_assert_geq(log.calls, 2, "two chunks arrive separately");
	sbx_job_result_fini(&res);
}

Test(jail, interactive_stdin_fd_and_cancel)
{
	const char *argv[] = {"/bin/sh", "-c", "read x; echo got $x; sleep 30",
	                      NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;
	int in[2], cancel[2];

	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(cancel), 0);
	cr_assert_eq(write(in[1], "hello\n", 6), 6);
	cr_assert_eq(write(cancel[1], "x", 1), 1);
	st.stdin_fd = in[0];
	st.cancel_fd = cancel[0];
	st.limits.wall_ms = 20000;
	/* the cancel is already readable: the stage is stopped at once */
	cr_assert_eq(run1(&st, &res, NULL, 0), 0);
	cr_assert_eq(res.verdict, SBX_SIGNAL);
	cr_assert_str_eq(res.run.message, "stopped on request");
	cr_assert_lt(res.run.wall_ms, 10000);
	sbx_job_result_fini(&res);
	close(in[0]);
	close(in[1]);
	close(cancel[0]);
	close(cancel[1]);
}

Test(jail, files_land_in_the_box_and_are_gone_after)
{
	const char *argv[] = {"/bin/sh", "-c",
	                      "cat /box/hello.txt; ./run.sh; touch /box/left",
	                      NULL};
	const char *argv2[] = {"/bin/sh", "-c", "ls -A /box", NULL};
	struct sbx_file files[] = {
	        {"hello.txt", "hi\n", 3, false},
	        {"run.sh", "#!/bin/sh\necho ran\n", 19, true},
	};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;
	struct sbx_job job = {
	        .files = files, .nfiles = 2, .run = &st, .slot = 0};
	char err[256];

	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(res.run.out, "hi\nran\n");
	sbx_job_result_fini(&res);
	st = stage(argv2);
	job = (struct sbx_job){.run = &st, .slot = 0};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0);
	cr_assert_str_eq(res.run.out, "out\n",
	                 "the box starts with nothing but an empty out/");
	sbx_job_result_fini(&res);
}

Test(jail, bad_file_names_are_refused)
{
	const char *argv[] = {"/bin/true", NULL};
	static const char *const names[] = {"../x", "a/b", ".", "..", ""};
	struct sbx_stage st = stage(argv);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sbx_file f = {names[i], "x", 1, false};
		struct sbx_job_result res;
		struct sbx_job job = {
		        .files = &f, .nfiles = 1, .run = &st, .slot = -1};
		char err[256] = "";
		cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)),
		             -EINVAL, "%s", names[i]);
		cr_assert(strstr(err, "bad file name"), "%s", err);
		cr_assert_eq(res.verdict, SBX_INTERNAL_ERROR);
		sbx_job_result_fini(&res);
	}
}

Test(jail, compile_error_skips_the_run)
{
	const char *cc[] = {"/bin/sh", "-c",
	                    "echo 'main.c:1:1: error' >&2; exit 1", NULL};
	const char *run[] = {"/bin/true", NULL};
	struct sbx_stage c = stage(cc), r = stage(run);
	struct sbx_job job = {.compile = &c, .run = &r, .slot = -1};
	struct sbx_job_result res;
	char err[256];

	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0);
	cr_assert_eq(res.verdict, SBX_COMPILE_ERROR);
	cr_assert(res.compiled);
	cr_assert_not(res.ran);
	cr_assert_str_eq(res.compile.err, "main.c:1:1: error\n");
	sbx_job_result_fini(&res);
}

Test(jail, exec_failure_is_an_internal_error_with_the_reason)
{
	const char *argv[] = {"/no/such/program", NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;

	cr_assert_lt(run1(&st, &res, NULL, 0), 0);
	cr_assert_eq(res.verdict, SBX_INTERNAL_ERROR);
	cr_assert(strstr(res.run.message, "No such file"), "%s",
	          res.run.message);
	sbx_job_result_fini(&res);
}

Test(jail, relative_program_is_refused)
{
	const char *argv[] = {"true", NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;

	cr_assert_eq(run1(&st, &res, NULL, 0), -EINVAL);
	sbx_job_result_fini(&res);
}

Test(jail, dev_stdio_can_be_reopened_by_the_program)
{
	const char *argv[] = {"/bin/sh", "-c",
	                      "cat /dev/stdin; echo err > /dev/stderr", NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;

	st.stdin_data = "through /dev/stdin\n";
	st.stdin_len = strlen(st.stdin_data);
	cr_assert_eq(run1(&st, &res, NULL, 0), 0);
	cr_assert_eq(res.verdict, SBX_ACCEPTED, "%s", res.run.err);
	cr_assert_str_eq(res.run.out, "through /dev/stdin\n");
	cr_assert_str_eq(res.run.err, "err\n");
	sbx_job_result_fini(&res);
}

Test(jail, runs_share_one_compile_and_box)
{
	const char *cc[] = {"/bin/sh", "-c", "echo built > artefact", NULL};
	const char *run[] = {"/bin/sh", "-c", "cat artefact; read x; echo $x",
	                     NULL};
	struct sbx_stage c = stage(cc), r[3];
	struct sbx_job job = {.compile = &c, .slot = -1};
	struct sbx_job_result res;
	char err[256] = "";

	for (int i = 0; i < 3; i++) {
		r[i] = stage(run);
		r[i].stdin_data = i == 0 ? "one\n" : i == 1 ? "two\n" : "3\n";
		r[i].stdin_len = strlen(r[i].stdin_data);
	}
	r[1].argv = (const char *const[]){"/bin/sh", "-c", "exit 4", NULL};
	job.runs = r;
	job.nruns = 3;
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert(res.compiled);
	cr_assert_eq(res.nruns, 3);
	cr_assert_str_eq(res.runs[0].out, "built\none\n");
	cr_assert_eq(res.runs[1].verdict, SBX_RUNTIME_ERROR);
	cr_assert_eq(res.runs[1].exit_code, 4);
	cr_assert_str_eq(res.runs[2].out, "built\n3\n");
	cr_assert_eq(res.verdict, SBX_RUNTIME_ERROR, "the first failure");
	sbx_job_result_fini(&res);
}

Test(jail, run_and_runs_together_are_refused)
{
	const char *argv[] = {"/bin/true", NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job job = {.run = &st, .runs = &st, .nruns = 1, .slot = -1};
	struct sbx_job_result res;
	char err[256] = "";

	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not both"), "%s", err);
	sbx_job_result_fini(&res);
}

Test(jail, hangup_of_the_client_kills_the_stage)
{
	const char *argv[] = {"/bin/sleep", "30", NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job_result res;
	int sv[2];

	/* the peer of a socket pair goes away: as when nginx drops the
	   connection of a client that left */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	st.hangup_fd = sv[0];
	st.limits.wall_ms = 20000;
	cr_assert_eq(run1(&st, &res, NULL, 0), 0);
	cr_assert_eq(res.verdict, SBX_SIGNAL);
	cr_assert(res.run.cancelled);
	cr_assert_lt(res.run.wall_ms, 10000);
	sbx_job_result_fini(&res);
	close(sv[0]);
}

/*
 * The memory figure is the stage's own, whatever ran before in the slot: a
 * Python print(1) under 20 MiB and a C hello's run stage under 8 MiB right
 * after a run that read 200 MiB of files with a 64 MiB limit (which is
 * itself neither near its limit nor memory_limit), and a program that
 * holds 40 MiB is reported at 40 MiB and a little more.
 */
Test(jail, memory_figures_are_the_stage_own)
{
	const char *reader[] = {
	        "/bin/sh", "-c",
	        "find /usr/lib /usr/share -type f -size +64k 2>/dev/null | "
	        "head -n 4000 | xargs cat 2>/dev/null | head -c 200000000 | "
	        "wc -c",
	        NULL};
	const char *py[] = {"/usr/bin/python3", "-c", "print(1)", NULL};
	const char *hold[] = {
	        "/usr/bin/python3", "-c",
	        "b = bytearray(40 << 20)\nfor i in range(0, len(b), 4096): "
	        "b[i] = 1\nprint(len(b) >> 20)",
	        NULL};
	const char *cc[] = {"/bin/sh", "-c",
	                    "printf '#include <stdio.h>\\nint main(void)"
	                    "{puts(\"hi\");}\\n' > h.c && gcc -O2 -o h h.c",
	                    NULL};
	const char *hi[] = {"/box/h", NULL};
	struct sbx_stage st, c;
	struct sbx_job job;
	struct sbx_job_result res;
	char err[256] = "";

	if (sbx_ctx_cgroup_mode(ctx) == SBX_CGROUP_NONE)
		cr_skip_test("no cgroup here: the figure is the maximum RSS");
	if (access("/usr/bin/python3", X_OK) || access("/usr/bin/gcc", X_OK))
		cr_skip_test("python3 and gcc are needed");

	st = stage(reader);
	st.limits.memory = 64 << 20;
	st.limits.wall_ms = 60000;
	st.limits.cpu_ms = 30000;
	job = (struct sbx_job){.run = &st, .slot = 0};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.verdict, SBX_ACCEPTED, "%s", res.run.err);
	cr_assert_lt(res.run.memory_peak, 16 << 20,
	             "a reader of 200 MiB of files reported %llu bytes",
	             (unsigned long long)res.run.memory_peak);
	sbx_job_result_fini(&res);

	st = stage(py);
	job = (struct sbx_job){.run = &st, .slot = 0};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.verdict, SBX_ACCEPTED, "%s", res.run.err);
	cr_assert(res.run.memory_peak > 1 << 20 &&
	                  res.run.memory_peak < 20 << 20,
	          "print(1) reported %llu bytes after a cache-heavy run",
	          (unsigned long long)res.run.memory_peak);
	sbx_job_result_fini(&res);

	c = stage(cc);
	st = stage(hi);
	job = (struct sbx_job){.compile = &c, .run = &st, .slot = 0};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.verdict, SBX_ACCEPTED, "%s", res.compile.err);
	cr_assert(res.run.memory_peak > 0 && res.run.memory_peak < 8 << 20,
	          "a C hello's run reported %llu bytes after its compile",
	          (unsigned long long)res.run.memory_peak);
	sbx_job_result_fini(&res);

	st = stage(hold);
	job = (struct sbx_job){.run = &st, .slot = 0};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(res.run.out, "40\n");
	cr_assert(res.run.memory_peak >= 40ull << 20 &&
	                  res.run.memory_peak < 48ull << 20,
	          "holding 40 MiB reported %llu bytes",
	          (unsigned long long)res.run.memory_peak);
	sbx_job_result_fini(&res);
}

/* The files of one run's out/, as sbx_run collected them. */
static const struct sbx_out_file *out_file(const struct sbx_job_result *res,
                                           const char *name)
{
	for (size_t i = 0; i < res->out.nfiles; i++)
		if (strcmp(res->out.files[i].name, name) == 0)
			return &res->out.files[i];
	return NULL;
}

/*
 * A program writes a PNG and a CSV into out/ (found through RUNPAD_OUT),
 * plants a link to the host's /etc/passwd, a FIFO nobody writes and a
 * directory: the result holds exactly the two files, the rest refused,
 * and the FIFO did not make the supervisor wait.
 */
Test(jail, out_files_come_back_with_the_result)
{
	const char *argv[] = {
	        "/bin/sh", "-c",
	        "test \"$RUNPAD_OUT\" = /box/out && test -d out || exit 9\n"
	        "test -z \"$(ls -A out)\" || exit 8\n"
	        "printf '\\211PNG\\r\\n\\032\\nIHDR' > out/a.png\n"
	        "printf 'x,y\\n1,2\\n' > \"$RUNPAD_OUT/b.csv\"\n"
	        "ln -s /etc/passwd out/passwd.txt\n"
	        "mkfifo out/fifo.txt\n"
	        "mkdir out/sub && echo inside > out/sub/c.txt\n",
	        NULL};
	struct sbx_stage st = stage(argv);
	struct sbx_job job = {.run = &st, .slot = -1, .collect_out = true};
	struct sbx_job_result res;
	const struct sbx_out_file *f;
	char err[256] = "";

	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.verdict, SBX_ACCEPTED, "exit %d: %s",
	             res.run.exit_code, res.run.err);
	cr_assert_eq(res.out.nfiles, 2);
	f = out_file(&res, "a.png");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->type, "image/png");
	cr_assert_eq(f->len, 12);
	cr_assert_eq(memcmp(f->data, "\x89PNG\r\n\x1a\nIHDR", 12), 0);
	f = out_file(&res, "b.csv");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->type, "text/csv");
	cr_assert_str_eq(f->data, "x,y\n1,2\n");
	cr_assert_str_eq(res.out.files[0].name, "a.png", "by name");
	cr_assert_eq(res.out.nrefused, 3);
	cr_assert_str_eq(res.out.refused[0].name, "fifo.txt");
	cr_assert(strstr(res.out.refused[0].reason, "FIFO"));
	cr_assert_str_eq(res.out.refused[1].name, "passwd.txt");
	cr_assert(strstr(res.out.refused[1].reason, "symbolic link"));
	cr_assert_str_eq(res.out.refused[2].name, "sub");
	cr_assert(strstr(res.out.refused[2].reason, "directory"));
	cr_assert_not(res.out.truncated);
	sbx_job_result_fini(&res);
	cr_assert_eq(res.out.nfiles, 0, "freed with the result");
}

/* With tests, what the last stage left; nothing unless asked, nothing
   after a failed compile; no file of the job may be named out. */
Test(jail, out_files_are_taken_after_the_last_run_stage_only)
{
	const char *first[] = {"/bin/sh", "-c", "echo 1 > out/first.txt", NULL};
	const char *last[] = {"/bin/sh", "-c",
	                      "test -f out/first.txt && rm out/first.txt && "
	                      "echo 2 > out/last.txt",
	                      NULL};
	const char *cc_fail[] = {"/bin/sh", "-c",
	                         "echo x > out/compiled.txt; exit 1", NULL};
	struct sbx_stage r[2] = {stage(first), stage(last)}, c = stage(cc_fail);
	struct sbx_job job = {
	        .runs = r, .nruns = 2, .slot = -1, .collect_out = true};
	struct sbx_file named_out = {"out", "x", 1, false};
	struct sbx_job_result res;
	char err[256] = "";

	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.verdict, SBX_ACCEPTED, "%s", res.runs[1].err);
	cr_assert_eq(res.out.nfiles, 1);
	cr_assert_str_eq(res.out.files[0].name, "last.txt");
	cr_assert_str_eq(res.out.files[0].data, "2\n");
	sbx_job_result_fini(&res);

	job = (struct sbx_job){.run = &r[0], .slot = -1};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.out.nfiles + res.out.nrefused, 0, "not asked for");
	sbx_job_result_fini(&res);

	job = (struct sbx_job){
	        .compile = &c, .run = &r[0], .slot = -1, .collect_out = true};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.verdict, SBX_COMPILE_ERROR);
	cr_assert_eq(res.out.nfiles + res.out.nrefused, 0, "no run stage ran");
	sbx_job_result_fini(&res);

	job = (struct sbx_job){
	        .files = &named_out, .nfiles = 1, .run = &r[0], .slot = -1};
	cr_assert_eq(sbx_run(ctx, &job, &res, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "bad file name 'out'"), "%s", err);
	sbx_job_result_fini(&res);
}
