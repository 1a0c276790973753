/*
 * bench/jail_lib - the cost of a jailed run inside a long-lived supervisor.
 *
 * bench/jail times the runpad-jail command, which builds a whole jail
 * context (mount namespace, template root, seccomp filter, a network
 * namespace) for its one run.  The runner builds that context once and then
 * calls sbx_run() per request; this program measures exactly that, and a
 * bare posix_spawn() of the same program in the same process, interleaved
 * run by run so machine noise hits both alike.  It prints figures and
 * asserts nothing about time.
 *
 *   bench/jail_lib [-n RUNS]
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

extern char **environ;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	return v[i];
}

static int bare(const char *const *argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 01, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv,
	                environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int jailed(struct sbx_ctx *ctx, const char *const *argv)
{
	struct sbx_stage st;
	struct sbx_job job;
	struct sbx_job_result res;
	char err[256];
	int r;

	memset(&st, 0, sizeof(st));
	sbx_limits_default(&st.limits);
	st.argv = argv;
	st.stdin_fd = st.cancel_fd = st.hangup_fd = -1;
	job = (struct sbx_job){.run = &st, .slot = 0};
	r = sbx_run(ctx, &job, &res, err, sizeof(err));
	if (r == 0 && res.verdict != SBX_ACCEPTED)
		r = -1;
	if (r < 0)
		fprintf(stderr, "jail_lib: run failed: %s %s\n", err,
		        res.run.message);
	sbx_job_result_fini(&res);
	return r;
}

int main(int argc, char **argv)
{
	static const char *const w_true[] = {"/bin/true", NULL};
	static const char *const w_py[] = {"/usr/bin/python3", "-c",
	                                   "print('Hello, World!')", NULL};
	static const struct {
		const char *name;
		const char *const *argv;
	} work[] = {{"true", w_true}, {"python", w_py}};
	struct sbx_config cfg;
	struct sbx_ctx *ctx;
	char err[512];
	int n = 200;
	double t0, t1;

	if (argc == 3 && strcmp(argv[1], "-n") == 0)
		n = atoi(argv[2]);
	if (n < 10 || n > 100000) {
		fprintf(stderr, "usage: jail_lib [-n RUNS] (10 or more)\n");
		return 2;
	}
	sbx_config_default(&cfg);
	cfg.slots = 1;
	t0 = now_ms();
	if (sbx_ctx_new(&cfg, &ctx, err, sizeof(err)) < 0) {
		fprintf(stderr, "jail_lib: %s\n", err);
		return 1;
	}
	t1 = now_ms();
	printf("bench/jail_lib: %d runs each, interleaved, in one process\n",
	       n);
	printf("context setup (once per runner): %.2f ms\n\n", t1 - t0);
	printf("%-8s %-16s %8s %8s %8s\n", "workload", "launcher", "p50 ms",
	       "p99 ms", "mean ms");
	for (size_t w = 0; w < sizeof(work) / sizeof(work[0]); w++) {
		double *b = calloc((size_t)n, sizeof(double));
		double *j = calloc((size_t)n, sizeof(double));
		double sb = 0, sj = 0;
		if (!b || !j)
			return 1;
		for (int i = 0; i < 5; i++) /* warm up: caches, the netns */
			if (bare(work[w].argv) < 0 ||
			    jailed(ctx, work[w].argv) < 0)
				return 1;
		for (int i = 0; i < n; i++) {
			double a = now_ms();
			if (bare(work[w].argv) < 0)
				return 1;
			double m = now_ms();
			if (jailed(ctx, work[w].argv) < 0)
				return 1;
			double z = now_ms();
			b[i] = m - a;
			j[i] = z - m;
			sb += b[i];
			sj += j[i];
		}
		qsort(b, (size_t)n, sizeof(double), cmp);
		qsort(j, (size_t)n, sizeof(double), cmp);
		printf("%-8s %-16s %8.2f %8.2f %8.2f\n", work[w].name, "bare",
		       pct(b, n, 0.5), pct(b, n, 0.99), sb / n);
		printf("%-8s %-16s %8.2f %8.2f %8.2f\n", work[w].name,
		       "sbx_run (warm)", pct(j, n, 0.5), pct(j, n, 0.99),
		       sj / n);
		printf("%s: a warm jailed run adds %.2f ms over bare at p50 "
		       "(x%.2f)\n\n",
		       work[w].name, pct(j, n, 0.5) - pct(b, n, 0.5),
		       pct(j, n, 0.5) / pct(b, n, 0.5));
		free(b);
		free(j);
	}
	sbx_ctx_free(ctx);
	return 0;
}
