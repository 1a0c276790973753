/*
 * route.h - which endpoint a method and path mean.  Pure: no I/O, so the
 * table is unit-tested and fuzzed alone.
 */
#ifndef RUNPAD_ROUTE_H
#define RUNPAD_ROUTE_H

#include <stddef.h>

enum route_id {
	ROUTE_NONE = 0,
	ROUTE_RUNTIMES,        /* GET  runtimes */
	ROUTE_RUN,             /* POST run */
	ROUTE_RUN_STDIN,       /* POST runs/{id}/stdin */
	ROUTE_RUN_KILL,        /* POST runs/{id}/kill */
	ROUTE_SUBMIT,          /* POST submissions */
	ROUTE_SUBMISSION,      /* GET  submissions/{id} */
	ROUTE_PISTON_RUNTIMES, /* GET  v2/runtimes */
	ROUTE_PISTON_EXECUTE,  /* POST v2/execute */
	ROUTE_HEALTHZ,         /* GET  healthz */
	ROUTE_METRICS,         /* GET  metrics */
};

struct route {
	enum route_id id;
	char arg[33];        /* the {id} of the path, "" when none */
	const char *allowed; /* the methods the path takes, for 405 */
	const char *name;    /* for the log: "run", "runs/stdin", ... */
};

/*
 * Match `path` (without query string) under `prefix` (ending in '/').
 * Returns 200 with *rt filled, 404 for an unknown path (or a malformed
 * id), 405 when the path exists but not for `method` (rt->allowed then
 * lists the methods).  HEAD is taken as GET.
 */
int route_match(const char *prefix, const char *method, const char *path,
                struct route *rt);

#endif
