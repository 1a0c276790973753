/*
 * server_int.h - what the parts of runpad-fcgi's service share: the
 * service and a request being answered (server.c: dispatch, the run
 * handlers, the life cycle), the reply and request helpers (reply.c) and
 * the async worker (async.c).  Not a public header: see server.h.
 */
#ifndef RUNPAD_SERVER_INT_H
#define RUNPAD_SERVER_INT_H

#include <fcgiapp.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "exec.h"
#include "metrics.h"
#include "pool.h"
#include "request.h"
#include "runs.h"
#include "server.h"
#include "store.h"

#define SRV_STORE_MAP (256u << 20)

struct srv {
	pthread_mutex_t lock; /* guards set */
	struct settings *set;
	struct sbx_ctx *ctx;
	int listen_fd;
	struct pool *pool;
	struct runs *runs;
	struct metrics *metrics;
	struct store *store;

	pthread_t *workers;
	size_t nworkers;
	pthread_t *async;
	size_t nasync;
	pthread_mutex_t async_lock;
	pthread_cond_t async_cond;

	int stopping;     /* atomically read */
	int active;       /* requests in progress, atomically changed */
	int async_active; /* submissions running */
};

/* One request being answered. */
struct req {
	struct srv *srv;
	FCGX_Request *fr;
	struct settings *set;
	const char *method;
	char path[1024];
	char *body;
	size_t body_len;
	int status;
	const char *language;
	const char *verdict;
	const char *route;
	bool headers_sent;
	bool client_gone;
	struct timespec t0;
	char run_id[RUN_ID_LEN + 1];
};

/* ------------------------------------------------------------ server.c */
int64_t srv_now_ms(void);
double srv_since(const struct timespec *t0);
void srv_run_in_slot(struct srv *s, const struct run_req *r, struct exec_io *io,
                     int slot, const struct timespec *t0,
                     struct exec_result *x);
/* A 421 for an id the ring gives another runner (true: answered). */
bool srv_wrong_runner(struct req *rq, const char *what, const char *id);

/* ------------------------------------------------------------- reply.c */
/* Write to the client; -1 once it has gone (rq->client_gone). */
int rq_put(struct req *rq, const char *s, size_t n);
void rq_head(struct req *rq, int status, const char *ctype, const char *extra);
void rq_json(struct req *rq, int status, json_object *o, const char *extra);
void rq_error(struct req *rq, const struct api_error *e);
void rq_fail(struct req *rq, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* One NDJSON line, flushed; false once the client has gone. */
bool rq_event(struct req *rq, json_object *ev);
bool rq_emit_cb(void *arg, json_object *ev);
const char *rq_param(struct req *rq, const char *name);
int rq_read_body(struct req *rq);
bool rq_authorized(struct req *rq);
bool rq_wants_stream(struct req *rq);

/* ------------------------------------------------------------- async.c */
void srv_h_submit(struct req *rq);
void srv_h_submission(struct req *rq, const char *id);
void *srv_async_main(void *arg);
/* The result stored for a submission the runner could not run: JSON
   text, malloc'd (NULL on ENOMEM). */
char *srv_internal_result(const char *message);

#endif
