/*
 * metrics.h - counters of the run API in Prometheus' text format.
 *
 * runpad_runs_total{language,verdict}, runpad_run_duration_seconds (a
 * histogram of a run's wall time, compile included), runpad_http_requests
 * _total{code}, and gauges the caller passes at render time (slots, busy
 * slots, queue depth, live runs, async submissions).  Thread-safe.
 */
#ifndef RUNPAD_METRICS_H
#define RUNPAD_METRICS_H

#include <stddef.h>

struct metrics; /* opaque */

struct metrics *metrics_new(void);    /* NULL on ENOMEM */
void metrics_free(struct metrics *m); /* accepts NULL */

/* One finished run.  language and verdict are copied. */
void metrics_run(struct metrics *m, const char *language, const char *verdict,
                 double seconds);
void metrics_request(struct metrics *m, int status);

struct metrics_gauges {
	unsigned slots, slots_busy, queue_depth;
	size_t live_runs;
	size_t async_queued, async_running, async_done;
};

/* The exposition text: a new NUL-terminated string the caller frees, or
   NULL on ENOMEM. */
char *metrics_render(struct metrics *m, const struct metrics_gauges *g);

#endif
