/*
 * metrics.c - Prometheus counters.  See metrics.h.
 *
 * Label sets are few (languages x verdicts), so a flat array under one
 * mutex; growth is bounded because both come from fixed lists.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                 0.5,   1,    2.5,   5,    10,  30};
#define NBUCKETS   (sizeof(buckets) / sizeof(buckets[0]))
#define MAX_SERIES 2048

struct series {
	char language[32];
	char verdict[24];
	unsigned long long n;
};

struct status_count {
	int status;
	unsigned long long n;
};

struct metrics {
	pthread_mutex_t lock;
	struct series *runs;
	size_t nruns;
	unsigned long long hist[NBUCKETS + 1];
	double sum;
	unsigned long long count;
	struct status_count status[32];
	size_t nstatus;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->runs = calloc(MAX_SERIES, sizeof(*m->runs));
	if (!m->runs) {
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->runs);
	free(m);
}

void metrics_run(struct metrics *m, const char *language, const char *verdict,
                 double seconds)
{
	size_t i, b;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nruns; i++)
		if (strcmp(m->runs[i].language, language) == 0 &&
		    strcmp(m->runs[i].verdict, verdict) == 0)
			break;
	if (i == m->nruns && m->nruns < MAX_SERIES) {
		snprintf(m->runs[i].language, sizeof(m->runs[i].language), "%s",
		         language);
		snprintf(m->runs[i].verdict, sizeof(m->runs[i].verdict), "%s",
		         verdict);
		m->nruns++;
	}
	if (i < m->nruns)
		m->runs[i].n++;
	for (b = 0; b < NBUCKETS && seconds > buckets[b]; b++)
		;
	m->hist[b]++;
	m->sum += seconds;
	m->count++;
	pthread_mutex_unlock(&m->lock);
}

void metrics_request(struct metrics *m, int status)
{
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nstatus; i++)
		if (m->status[i].status == status)
			break;
	if (i == m->nstatus && i < sizeof(m->status) / sizeof(m->status[0])) {
		m->status[i].status = status;
		m->nstatus++;
	}
	if (i < m->nstatus)
		m->status[i].n++;
	pthread_mutex_unlock(&m->lock);
}

char *metrics_render(struct metrics *m, const struct metrics_gauges *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long long cum = 0;

	if (!f)
		return NULL;
	pthread_mutex_lock(&m->lock);
	fputs("# HELP runpad_runs_total Runs finished, by language and verdict.\n# TYPE runpad_runs_total counter\n",
	      f);
	for (size_t i = 0; i < m->nruns; i++)
		fprintf(f,
		        "runpad_runs_total{language=\"%s\",verdict=\"%s\"} %llu\n",
		        m->runs[i].language, m->runs[i].verdict, m->runs[i].n);
	fputs("# HELP runpad_run_duration_seconds Wall time of a run, compile and queue included.\n"
	      "# TYPE runpad_run_duration_seconds histogram\n",
	      f);
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += m->hist[b];
		fprintf(f,
		        "runpad_run_duration_seconds_bucket{le=\"%g\"} %llu\n",
		        buckets[b], cum);
	}
	cum += m->hist[NBUCKETS];
	fprintf(f, "runpad_run_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	        cum);
	fprintf(f, "runpad_run_duration_seconds_sum %.6f\n", m->sum);
	fprintf(f, "runpad_run_duration_seconds_count %llu\n", m->count);
	fputs("# HELP runpad_http_requests_total Requests answered, by status.\n# TYPE runpad_http_requests_total counter\n",
	      f);
	for (size_t i = 0; i < m->nstatus; i++)
		fprintf(f, "runpad_http_requests_total{code=\"%d\"} %llu\n",
		        m->status[i].status, m->status[i].n);
	pthread_mutex_unlock(&m->lock);

	fprintf(f,
	        "# HELP runpad_slots Jail slots.\n# TYPE runpad_slots gauge\n"
	        "runpad_slots %u\n"
	        "# HELP runpad_slots_busy Jail slots running a job.\n"
	        "# TYPE runpad_slots_busy gauge\nrunpad_slots_busy %u\n"
	        "# HELP runpad_queue_depth Runs waiting for a slot.\n"
	        "# TYPE runpad_queue_depth gauge\nrunpad_queue_depth %u\n"
	        "# HELP runpad_live_runs Runs in progress (reachable by id).\n"
	        "# TYPE runpad_live_runs gauge\nrunpad_live_runs %zu\n"
	        "# HELP runpad_submissions Async submissions by state.\n"
	        "# TYPE runpad_submissions gauge\n"
	        "runpad_submissions{state=\"queued\"} %zu\n"
	        "runpad_submissions{state=\"running\"} %zu\n"
	        "runpad_submissions{state=\"done\"} %zu\n",
	        g->slots, g->slots_busy, g->queue_depth, g->live_runs,
	        g->async_queued, g->async_running, g->async_done);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
