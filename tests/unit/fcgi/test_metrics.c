/* Unit tests: fcgi/metrics, the Prometheus text. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const struct metrics_gauges gauges = {
        .slots = 4,
        .slots_busy = 2,
        .queue_depth = 1,
        .live_runs = 3,
        .async_queued = 5,
        .async_running = 1,
        .async_done = 7,
};

/* Whether text holds this exact line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define assert_line(text, line)                                                \
	cr_assert(has_line(text, line), "no line '%s' in:\n%s", line, text)

/*
 * The exposition format, version 0.0.4: comment lines "# HELP name text"
 * and "# TYPE name kind"; sample lines "name{l="v",...} value" or
 * "name value"; every line ends with a newline; each sample belongs to a
 * family whose TYPE came first.
 */
static void assert_prometheus_shape(const char *text)
{
	regex_t sample, help, type;
	char *copy = strdup(text), *save = NULL, types[4096] = " ";
	size_t len = strlen(text), lines = 0;

	cr_assert_gt(len, 0);
	cr_assert_eq(text[len - 1], '\n', "ends with a newline");
	cr_assert_eq(regcomp(&sample,
	                     "^([a-zA-Z_:][a-zA-Z0-9_:]*)"
	                     "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\]*\""
	                     "(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\]*\")*\\})?"
	                     " (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?"
	                     "|\\+Inf|-Inf|NaN)$",
	                     REG_EXTENDED),
	             0);
	cr_assert_eq(regcomp(&help, "^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* [^ ].*$",
	                     REG_EXTENDED | REG_NOSUB),
	             0);
	cr_assert_eq(regcomp(&type,
	                     "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
	                     "(counter|gauge|histogram|summary|untyped)$",
	                     REG_EXTENDED),
	             0);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		regmatch_t m[2];
		lines++;
		if (regexec(&type, l, 2, m, 0) == 0) {
			size_t n = strlen(types);
			snprintf(types + n, sizeof(types) - n, "%.*s ",
			         (int)(m[1].rm_eo - m[1].rm_so),
			         l + m[1].rm_so);
			continue;
		}
		if (l[0] == '#') {
			cr_assert_eq(regexec(&help, l, 0, NULL, 0), 0,
			             "bad comment line '%s'", l);
			continue;
		}
		cr_assert_eq(regexec(&sample, l, 2, m, 0), 0,
		             "bad sample line '%s'", l);
		{
			/* name, or name minus _bucket/_sum/_count */
			char fam[128];
			int n = (int)(m[1].rm_eo - m[1].rm_so);
			snprintf(fam, sizeof(fam), " %.*s ", n, l);
			if (!strstr(types, fam)) {
				static const char *const sfx[] = {
				        "_bucket", "_sum", "_count"};
				for (size_t i = 0; i < 3; i++) {
					size_t sl = strlen(sfx[i]);
					if ((size_t)n > sl &&
					    strncmp(l + n - sl, sfx[i], sl) ==
					            0)
						snprintf(fam, sizeof(fam),
						         " %.*s ", n - (int)sl,
						         l);
				}
			}
			cr_assert(strstr(types, fam),
			          "sample '%s' before its # TYPE", l);
		}
	}
	cr_assert_gt(lines, 10);
	regfree(&sample);
	regfree(&help);
	regfree(&type);
	free(copy);
}

Test(metrics, empty_render)
{
	struct metrics *m = metrics_new();
	char *t;

	cr_assert_not_null(m);
	t = metrics_render(m, &gauges);
	cr_assert_not_null(t);
	assert_prometheus_shape(t);
	assert_line(t, "# TYPE runpad_runs_total counter");
	assert_line(t, "# TYPE runpad_run_duration_seconds histogram");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"0.005\"} 0");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"+Inf\"} 0");
	assert_line(t, "runpad_run_duration_seconds_count 0");
	assert_line(t, "runpad_run_duration_seconds_sum 0.000000");
	cr_assert_null(strstr(t, "runpad_runs_total{"));
	cr_assert_null(strstr(t, "runpad_http_requests_total{"));
	free(t);
	metrics_free(m);
	metrics_free(NULL);
}

Test(metrics, counters_histogram_and_gauges)
{
	struct metrics *m = metrics_new();
	char *t;

	metrics_run(m, "python", "accepted", 0.004);
	metrics_run(m, "python", "accepted", 0.3);
	metrics_run(m, "c", "compile_error", 1.0); /* on a bound: le="1" */
	metrics_run(m, "c", "time_limit", 45);     /* above every bound */
	metrics_run(m, "python", "runtime_error", 0.01);
	for (int i = 0; i < 3; i++)
		metrics_request(m, 200);
	metrics_request(m, 404);
	metrics_request(m, 503);
	metrics_request(m, 503);
	t = metrics_render(m, &gauges);
	cr_assert_not_null(t);
	assert_prometheus_shape(t);

	assert_line(t, "runpad_runs_total{language=\"python\",verdict="
	               "\"accepted\"} 2");
	assert_line(t, "runpad_runs_total{language=\"python\",verdict="
	               "\"runtime_error\"} 1");
	assert_line(t, "runpad_runs_total{language=\"c\",verdict="
	               "\"compile_error\"} 1");
	assert_line(t, "runpad_runs_total{language=\"c\",verdict="
	               "\"time_limit\"} 1");

	/* cumulative: each bucket counts the runs at or below its bound */
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"0.005\"} 1");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"0.01\"} 2");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"0.025\"} 2");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"0.25\"} 2");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"0.5\"} 3");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"1\"} 4");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"2.5\"} 4");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"30\"} 4");
	assert_line(t, "runpad_run_duration_seconds_bucket{le=\"+Inf\"} 5");
	assert_line(t, "runpad_run_duration_seconds_count 5");
	assert_line(t, "runpad_run_duration_seconds_sum 46.314000");

	assert_line(t, "runpad_http_requests_total{code=\"200\"} 3");
	assert_line(t, "runpad_http_requests_total{code=\"404\"} 1");
	assert_line(t, "runpad_http_requests_total{code=\"503\"} 2");

	assert_line(t, "runpad_slots 4");
	assert_line(t, "runpad_slots_busy 2");
	assert_line(t, "runpad_queue_depth 1");
	assert_line(t, "runpad_live_runs 3");
	assert_line(t, "runpad_submissions{state=\"queued\"} 5");
	assert_line(t, "runpad_submissions{state=\"running\"} 1");
	assert_line(t, "runpad_submissions{state=\"done\"} 7");
	free(t);
	metrics_free(m);
}

/* The buckets never decrease and +Inf equals the count. */
static void assert_histogram_consistent(const char *t, unsigned long long n)
{
	const char *p = t;
	unsigned long long prev = 0, v = 0, count = 0;
	size_t buckets = 0;

	while ((p = strstr(p, "runpad_run_duration_seconds_bucket{le=\""))) {
		const char *sp = strchr(p, ' ');
		v = strtoull(sp + 1, NULL, 10);
		cr_assert_geq(v, prev, "bucket decreases at %.60s", p);
		prev = v;
		buckets++;
		p = sp;
	}
	cr_assert_eq(buckets, 13);
	p = strstr(t, "runpad_run_duration_seconds_count ");
	cr_assert_not_null(p);
	count = strtoull(strchr(p, ' ') + 1, NULL, 10);
	cr_assert_eq(count, n);
	cr_assert_eq(v, n, "+Inf is the last bucket and equals the count");
}

struct worker {
	struct metrics *m;
	int id;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	static const char *const verdicts[] = {"accepted", "runtime_error",
	                                       "time_limit"};

	for (int i = 0; i < 1000; i++) {
		metrics_run(w->m, w->id % 2 ? "python" : "c", verdicts[i % 3],
		            (double)(i % 50) / 10.0);
		metrics_request(w->m, i % 7 ? 200 : 400);
	}
	return NULL;
}

Test(metrics, concurrent_updates_are_all_counted)
{
	enum { T = 4 };
	struct metrics *m = metrics_new();
	struct worker w[T];
	pthread_t th[T];
	char *t;

	for (int i = 0; i < T; i++) {
		w[i] = (struct worker){m, i};
		cr_assert_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	t = metrics_render(m, &gauges);
	assert_prometheus_shape(t);
	assert_histogram_consistent(t, T * 1000);
	/* i % 3 == 0 for 334 of 1000, two threads per language */
	assert_line(t, "runpad_runs_total{language=\"python\",verdict="
	               "\"accepted\"} 668");
	assert_line(t, "runpad_runs_total{language=\"c\",verdict="
	               "\"time_limit\"} 666");
	/* i % 7 == 0 for 143 of 1000 */
	assert_line(t, "runpad_http_requests_total{code=\"400\"} 572");
	assert_line(t, "runpad_http_requests_total{code=\"200\"} 3428");
	free(t);
	metrics_free(m);
}
